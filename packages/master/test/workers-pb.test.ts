/**
 * PB workers on the master's worker server (workers/pb/): Debian's buildbot-worker 3.7 created
 * without `--protocol` attaches on the port msgpack workers use (one listener for both), and runs
 * every kind of command through the same RemoteWorker API msgpack workers present: shell (output,
 * exit code, interrupt), the file commands, file and directory uploads, a download (checksums
 * compared), shutdown. Failed PB logins count in the same limiter as WebSocket ones; a live
 * duplicate keeps its place; a separate PB port works; garbage on the shared port closes only that
 * connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { basicAuthHeader } from 'mastro-protocol';
import { PbWorker } from '../src/workers/pb/pb-worker.js';
import type { AnyWorker } from '../src/workers/manager.js';
import type { UpdatePair } from '../src/workers/types.js';
import { startHarness, type Harness } from './support/workers-harness.js';
import { createBuildbotWorker, startBuildbotWorker, type BuildbotWorkerProcess } from '../../../test/support/workers-buildbot-worker.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-pb-master-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function worker(t: { after(fn: () => Promise<void>): void }, dir: string, name: string, port: number, password = 'pass', protocol: 'pb' | 'msgpack_experimental_v7' = 'pb'): Promise<BuildbotWorkerProcess> {
  const basedir = join(dir, `${name}-${protocol}-${Math.random().toString(36).slice(2, 8)}`);
  createBuildbotWorker(basedir, `127.0.0.1:${port}`, name, password, { protocol });
  const w = startBuildbotWorker(basedir);
  t.after(() => w.stop());
  return w;
}

/** Runs a command and collects its output text by stream. */
async function run(w: AnyWorker, command: string, args: Record<string, unknown>) {
  const out: Record<string, string> = { stdout: '', stderr: '', header: '' };
  const pairs: UpdatePair[] = [];
  const result = await w.startCommand('b1', command, args, { onUpdate: (p) => { pairs.push(p); if (typeof p[1] === 'string' && p[0] in out) out[p[0]] += p[1]; } }).result;
  return { ...result, out, pairs };
}

async function logContains(w: BuildbotWorkerProcess, pattern: RegExp): Promise<void> {
  for (let i = 0; !pattern.test(await w.log()); i++) {
    if (i > 3000) assert.fail(`the worker log never matched ${pattern}:\n${await w.log()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function harness(t: { after(fn: () => Promise<void>): void }, options: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness({ workers: [{ name: 'w1', password: 'pass' }, { name: 'w2', password: 'pass' }], pb: {}, ...options });
  t.after(() => h.close());
  return h;
}

test('buildbot-worker speaking PB attaches on the shared worker port and runs every kind of command', { timeout: 180_000 }, async (t) => {
  const dir = tempDir(t);
  const h = await harness(t);
  await h.manager.setBuilderList('w1', ['b1']);
  await h.manager.setBuilderList('w2', ['b1']);
  const attached = h.nextAttached<AnyWorker>('w1');
  const msgpackAttached = h.nextAttached<AnyWorker>('w2');
  const pbProcess = await worker(t, dir, 'w1', h.port);
  // A msgpack worker on the very same port at the same time.
  await worker(t, dir, 'w2', h.port, 'pass', 'msgpack_experimental_v7');
  const w = await attached;
  assert.ok(w instanceof PbWorker, 'w1 speaks PB');
  assert.ok(!((await msgpackAttached) instanceof PbWorker), 'w2 speaks msgpack on the same port');
  assert.equal(h.manager.pbPort, h.port);
  assert.equal(w.info.system, 'posix');
  assert.match(String(w.info.version), /^3\.7/);
  const basedir = String(w.info.basedir);
  assert.ok(existsSync(join(basedir, 'b1')), 'setBuilderList created the builder directory');
  assert.equal(w.builderBasedir('b1'), join(basedir, 'b1'));
  await logContains(pbProcess, /message from master: attached/);

  const shell = await run(w, 'shell', { command: ['sh', '-c', 'echo hi; echo oops >&2; exit 3'], workdir: 'build', env: { GREETING: 'x' } });
  assert.equal(shell.rc, 3);
  assert.equal(shell.failure, undefined);
  assert.equal(shell.out.stdout, 'hi\n');
  assert.equal(shell.out.stderr, 'oops\n');
  assert.match(shell.out.header, new RegExp(`in dir ${join(basedir, 'b1', 'build')}`));

  assert.equal((await run(w, 'mkdir', { dir: 'build/sub' })).rc, 0);
  assert.ok(existsSync(join(basedir, 'b1', 'build', 'sub')));
  writeFileSync(join(basedir, 'b1', 'build', 'sub', 'f.txt'), 'content');
  const stat = await run(w, 'stat', { file: 'sub/f.txt', workdir: 'build' });
  assert.equal(stat.rc, 0);
  assert.equal((stat.updates.stat as number[])[6], 7, 'the size field of os.stat');
  assert.deepEqual((await run(w, 'listdir', { dir: 'build/sub' })).updates.files, ['f.txt']);
  assert.deepEqual((await run(w, 'glob', { path: 'build/sub/*.txt' })).updates.files, [join(basedir, 'b1', 'build', 'sub', 'f.txt')]);
  assert.equal((await run(w, 'cpdir', { fromdir: 'build/sub', todir: 'build/copy' })).rc, 0);
  assert.equal(readFileSync(join(basedir, 'b1', 'build', 'copy', 'f.txt'), 'utf8'), 'content');
  assert.equal((await run(w, 'rmfile', { path: 'build/copy/f.txt' })).rc, 0);
  assert.equal((await run(w, 'rmdir', { dir: ['build/copy', 'build/nothing'] })).rc, 0);
  assert.ok(!existsSync(join(basedir, 'b1', 'build', 'copy')));

  // Uploads: a file (with its time kept) and a directory; then a download, checksums compared.
  const payload = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256));
  writeFileSync(join(basedir, 'b1', 'build', 'out.bin'), payload);
  const fileDest = join(dir, 'uploaded.bin');
  const up = await w.uploadFile('b1', { workdir: 'build', workerSrc: 'out.bin', masterDest: fileDest, blocksize: 4096, keepstamp: true }).result;
  assert.equal(up.rc, 0, JSON.stringify(up));
  assert.deepEqual(readFileSync(fileDest), payload);
  const dirDest = join(dir, 'uploaded-dir');
  const upDir = await w.uploadDirectory('b1', { workdir: 'build', workerSrc: 'sub', masterDest: dirDest, compress: 'gz' }).result;
  assert.equal(upDir.rc, 0, JSON.stringify(upDir));
  assert.equal(readFileSync(join(dirDest, 'f.txt'), 'utf8'), 'content');
  const tooBig = await w.uploadFile('b1', { workdir: 'build', workerSrc: 'out.bin', masterDest: join(dir, 'small.bin'), maxsize: 1000 }).result;
  assert.notEqual(tooBig.rc, 0, 'a file above maxsize fails the upload');
  assert.ok(!existsSync(join(dir, 'small.bin')), 'and nothing truncated is kept');
  const sent = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 13) % 251));
  const down = await w.downloadFile('b1', { workdir: 'build', source: { data: sent }, workerDest: 'dl/in.bin', mode: 0o640, blocksize: 8192 }).result;
  assert.equal(down.rc, 0, JSON.stringify(down));
  const got = readFileSync(join(basedir, 'b1', 'build', 'dl', 'in.bin'));
  assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(sent).digest('hex'));

  // An interrupted command dies and still completes.
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const sleeping = w.startCommand('b1', 'shell', { command: ['sleep', '60'], workdir: 'build', interruptSignal: 'TERM', sigtermTime: 5 },
    { onUpdate: ([key]) => { if (key === 'header') started(); } });
  await running;
  await sleeping.interrupt('stopped by the test');
  const stopped = await sleeping.result;
  assert.equal(stopped.interrupted, true);
  assert.notEqual(stopped.rc, 0);

  const unknown = await run(w, 'nosuchcommand', {});
  assert.match(unknown.failure?.message ?? '', /refused to start nosuchcommand: unrecognized WorkerCommand 'nosuchcommand'/);
  assert.ok(w.connected && await w.ping(5000));

  const detached = h.nextDetached<AnyWorker>('w1');
  const exited = new Promise<void>((r) => pbProcess.child.once('exit', () => r()));
  await w.shutdown();
  await exited;
  assert.equal(await detached, w);
});

test('failed PB logins count in the same limiter, under the same keys, as WebSocket logins', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const h = await harness(t, { loginRateLimit: { burst: 1, refillPerSecond: 0.001 } });
  const wrong = await worker(t, dir, 'w1', h.port, 'wrong');
  await logContains(wrong, /unauthorized login; check worker name and password/);
  await wrong.stop();
  // The same name from the same address over WebSocket, with the right password: now it waits.
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/`, { headers: { Authorization: basicAuthHeader('w1', 'pass') } });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => { resolve(101); ws.close(); });
    ws.on('error', () => {});
  });
  assert.equal(status, 429);
  assert.equal(h.manager.workers.length, 0);
});

test('a second PB worker under a live worker\'s name is refused and retries; the first keeps its place', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const h = await harness(t);
  const attached = h.nextAttached<AnyWorker>('w1');
  await worker(t, dir, 'w1', h.port);
  const first = await attached;
  const second = await worker(t, dir, 'w1', h.port);
  await logContains(second, /we lost the brand-new connection|Scheduling retry/);
  assert.equal(h.manager.getWorker('w1'), first);
  assert.ok(first.connected && second.child.exitCode === null, 'both still run; the second waits to retry');
});

test('PB on a port of its own, beside the WebSocket port', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => probe.once('listening', r));
  const pbPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const h = await harness(t, { pb: { port: pbPort } });
  assert.equal(h.manager.pbPort, pbPort);
  assert.notEqual(h.port, pbPort);
  const attached = h.nextAttached<AnyWorker>('w1');
  await worker(t, dir, 'w1', pbPort);
  assert.ok((await attached) instanceof PbWorker);
});

test('garbage on the shared port closes only that connection; WebSocket and PB workers still attach', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const h = await harness(t, { pb: { silenceMs: 200, handshakeTimeoutMs: 1000 } });
  const garbage = [
    Buffer.from([0x01, 0x99, 0xff]), Buffer.from('\u0000\u0000\u0000'), Buffer.alloc(80, 0x41),
    Buffer.from('0282706202801387058102', 'hex'), // "pb", then version 5
  ];
  for (const [i, bytes] of garbage.entries()) {
    const socket = connect(h.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.resume();
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    await new Promise<void>((r) => socket.once('connect', () => r()));
    // Half of them speak first (to the HTTP side), half after the silence (to the PB side).
    if (i % 2) await new Promise((r) => setTimeout(r, 400));
    socket.write(bytes);
    await closed;
  }
  const attached = h.nextAttached<AnyWorker>('w1');
  await worker(t, dir, 'w1', h.port);
  assert.ok((await attached) instanceof PbWorker);
});

test('a PB worker asked to shut down (SIGHUP) tells the master, which can then shut it down', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const h = await harness(t);
  const attached = h.nextAttached<AnyWorker>('w1');
  const basedir = join(dir, 'w1-hup');
  createBuildbotWorker(basedir, `127.0.0.1:${h.port}`, 'w1', 'pass', { protocol: 'pb', allowShutdown: 'signal' });
  const proc = startBuildbotWorker(basedir);
  t.after(() => proc.stop());
  const w = await attached;
  await logContains(proc, /message from master: attached/);
  const asked = new Promise<string>((r) => h.manager.once('shutdownRequested', r));
  proc.child.kill('SIGHUP');
  assert.equal(await asked, 'w1');
  const exited = new Promise<number | null>((r) => proc.child.once('exit', (code) => r(code)));
  await w.shutdown();
  assert.equal(await exited, 0);
});
