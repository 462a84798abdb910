/**
 * End to end: the real mastro worker process against the master's worker server in this process.
 * Every command, 100 MB of output intact and in order, interrupting a process tree, both timeouts,
 * transfers checked by sha256 and path escapes refused. The whole suite runs twice: the worker
 * speaking msgpack, then JSON text frames.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir, symlink, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../packages/master/test/support/workers-harness.js';
import { createMastroWorker, startMastroWorker, type MastroWorkerProcess } from './support/workers-mastro-worker.js';
import type { ConnectedWorker } from '../packages/master/src/workers/connected-worker.js';
import type { CommandCallbacks, CommandResult, UpdatePair } from '../packages/master/src/workers/types.js';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const B = 'e2e';

/**
 * The text of a stdout/stderr/header update: Buildbot 3.7 sends [text, newline offsets, times], a
 * mastro worker on a msgpack session the UTF-8 bytes of whole lines (PROTOCOL.md §3.4).
 */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return '';
}

function collector() {
  const pairs: UpdatePair[] = [];
  const callbacks: CommandCallbacks = { onUpdate: (p) => pairs.push(p) };
  return { pairs, callbacks, text: (key: string) => pairs.filter(([k]) => k === key).map(([, v]) => textOf(v)).join('') };
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Waits (polling a condition, bounded) until every pid is gone: the kill is asynchronous in the kernel. */
async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const alive = pids.filter(pidAlive);
    if (!alive.length || Date.now() > deadline) return alive;
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const encoding of ['msgpack', 'json'] as const) {
  describe(`mastro worker end to end (${encoding})`, { timeout: 300_000 }, () => {
    let dir: string;
    let h: Harness;
    let proc: MastroWorkerProcess;
    let worker: ConnectedWorker;
    let builderDir: string;
    const frames = { binary: 0, text: 0 };

    before(async () => {
      dir = await mkdtemp(join(tmpdir(), `mastro-e2e-${encoding}-`));
      // Short output buffering so streamed lines (pids) arrive promptly.
      h = await startHarness({ workers: [{ name: 'e2e', password: 'e2e-pw' }], workerSettings: { buffer_timeout: 0.05 }, firstFrameGraceMs: 1000 });
      await h.manager.setBuilderList('e2e', [B]);
      const basedir = join(dir, 'worker');
      createMastroWorker(basedir, `127.0.0.1:${h.port}`, 'e2e', 'e2e-pw', encoding === 'json');
      const attached = h.nextAttached('e2e');
      proc = startMastroWorker(basedir);
      let timer: NodeJS.Timeout | undefined;
      worker = await Promise.race([attached, new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`mastro-worker did not attach in 30 s:\n${proc.output().slice(-4000)}`)), 30_000);
      })]).finally(() => clearTimeout(timer));
      builderDir = join(basedir, B);
      // Count the frame kinds the worker sends, to check it really speaks the encoding under test.
      const ws = (worker.connection as unknown as { ws: import('ws').WebSocket }).ws;
      ws.on('message', (_d, isBinary) => { frames[isBinary ? 'binary' : 'text']++; });
    });

    after(async () => {
      await proc?.stop();
      await h?.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const run = (command: string, args: Record<string, unknown>, cb?: CommandCallbacks): Promise<CommandResult> => worker.startCommand(B, command, args, cb).result;

    test('the worker reports its info and the attach created the builder directory', async () => {
      assert.equal(worker.info.basedir, join(dir, 'worker'));
      assert.equal(typeof worker.info.version, 'string');
      assert.ok((await stat(builderDir)).isDirectory());
    });

    test('shell runs an argv list or a string, with env, and returns stdout, stderr and rc', async () => {
      const c = collector();
      const r = await run('shell', { workdir: 'build', command: ['sh', '-c', 'echo "out $GREETING"; echo err >&2; exit 7'], env: { GREETING: 'hi' } }, c.callbacks);
      assert.equal(r.rc, 7);
      assert.match(c.text('stdout'), /out hi/);
      assert.match(c.text('stderr'), /err/);
      assert.equal(typeof r.updates.elapsed, 'number');
      const s = collector();
      assert.equal((await run('shell', { workdir: 'build', command: 'echo $((6*7)) > answer.txt && cat answer.txt' }, s.callbacks)).rc, 0);
      assert.match(s.text('stdout'), /42/);
      assert.equal(await readFile(join(builderDir, 'build', 'answer.txt'), 'utf8'), '42\n');
    });

    test(`output travels as ${encoding === 'msgpack' ? 'UTF-8 bytes (the master asked for them)' : 'Buildbot triples (bytes would be base64 in JSON)'}`, async () => {
      const c = collector();
      assert.equal((await run('shell', { workdir: 'build', command: ['printf', 'grüße\\n€ 1\\n'] }, c.callbacks)).rc, 0);
      const outputs = c.pairs.filter(([k]) => k === 'stdout' || k === 'header');
      assert.ok(outputs.length >= 2);
      for (const [key, value] of outputs) {
        if (encoding === 'msgpack') assert.ok(Buffer.isBuffer(value), `${key} is bytes`);
        else assert.ok(Array.isArray(value) && typeof value[0] === 'string' && Array.isArray(value[1]), `${key} is [text, offsets, times]`);
      }
      assert.equal(c.text('stdout'), 'grüße\n€ 1\n');
    });

    test('file commands: mkdir, stat, glob, listdir, cpdir, rmfile, rmdir', async () => {
      assert.equal((await run('mkdir', { dir: ['fs/a/b', 'fs/c'] })).rc, 0);
      await writeFile(join(builderDir, 'fs', 'a', 'one.xml'), '<x/>');
      await writeFile(join(builderDir, 'fs', 'a', 'two.xml'), '<y/>');
      const st = await run('stat', { file: 'a/one.xml', workdir: 'fs' });
      assert.equal(st.rc, 0);
      const s = st.updates.stat as number[];
      assert.equal(s[0]! & 0o170000, 0o100000);
      assert.equal(s[6], 4);
      assert.notEqual((await run('stat', { file: 'missing', workdir: 'fs' })).rc, 0);
      const g = await run('glob', { path: 'fs/a/*.xml' });
      assert.deepEqual((g.updates.files as string[]).map((f) => f.slice(builderDir.length + 1)).sort(), ['fs/a/one.xml', 'fs/a/two.xml']);
      const l = await run('listdir', { dir: 'fs/a' });
      assert.deepEqual((l.updates.files as string[]).sort(), ['b', 'one.xml', 'two.xml']);
      assert.equal((await run('cpdir', { fromdir: 'fs/a', todir: 'fs/copy' })).rc, 0);
      assert.equal(await readFile(join(builderDir, 'fs', 'copy', 'two.xml'), 'utf8'), '<y/>');
      assert.equal((await run('rmfile', { path: 'fs/copy/two.xml' })).rc, 0);
      await assert.rejects(stat(join(builderDir, 'fs', 'copy', 'two.xml')));
      assert.equal((await run('rmdir', { dir: ['fs/copy', 'fs/c'] })).rc, 0);
      assert.deepEqual((await readdir(join(builderDir, 'fs'))).sort(), ['a']);
    });

    test('100 MB of stdout arrives intact and in order', async () => {
      const N = 13_000_000; // `seq 1 N` prints about 106 MB
      const expected = createHash('sha256');
      for (let start = 1; start <= N; start += 100_000) {
        let chunk = '';
        for (let i = start; i < Math.min(start + 100_000, N + 1); i++) chunk += `${i}\n`;
        expected.update(chunk);
      }
      const got = createHash('sha256');
      let bytes = 0;
      const rssBefore = process.memoryUsage().rss;
      let rssPeak = rssBefore;
      const r = await run('shell', { workdir: 'build', command: ['seq', '1', String(N)] }, {
        onUpdate: ([key, value]) => {
          if (key !== 'stdout') return;
          const t = textOf(value);
          got.update(t);
          bytes += t.length;
          if ((bytes & 0xfffff) < t.length) rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        },
      });
      assert.equal(r.rc, 0);
      assert.ok(bytes > 100_000_000, `only ${bytes} bytes arrived`);
      assert.equal(got.digest('hex'), expected.digest('hex'));
      // Streaming, not accumulating: the master never holds the whole output.
      assert.ok(rssPeak - rssBefore < 100 * 1024 * 1024, `master RSS grew by ${(rssPeak - rssBefore) >> 20} MB`);
    });

    test('interrupt kills the whole process tree', async () => {
      const pids: number[] = [];
      let gotPids!: () => void;
      const three = new Promise<void>((resolve) => { gotPids = resolve; });
      let buffer = '';
      const running = worker.startCommand(B, 'shell', {
        workdir: 'build', command: ['sh', '-c', 'sleep 1000 & echo $!; (sleep 1000 & echo $!; wait) & echo $!; echo $$; wait'],
      }, {
        onUpdate: ([key, value]) => {
          if (key !== 'stdout') return;
          buffer += textOf(value);
          for (const line of buffer.split('\n').slice(0, -1)) if (/^\d+$/.test(line) && !pids.includes(Number(line))) pids.push(Number(line));
          buffer = buffer.slice(buffer.lastIndexOf('\n') + 1);
          if (pids.length >= 4) gotPids();
        },
      });
      await three;
      assert.ok(pids.every(pidAlive));
      await running.interrupt('test interrupt');
      const r = await running.result;
      assert.equal(r.interrupted, true);
      assert.notEqual(r.rc, 0);
      assert.deepEqual(await waitGone(pids, 10_000), [], 'no process of the tree survives');
    });

    test('timeout ends a command that prints nothing for too long', async () => {
      const c = collector();
      const started = Date.now();
      const r = await run('shell', { workdir: 'build', command: ['sleep', '60'], timeout: 1 }, c.callbacks);
      assert.notEqual(r.rc, 0);
      assert.ok(Date.now() - started < 20_000);
      assert.match(c.text('header'), /timeout|timed out/i);
    });

    test('max_time ends a command that keeps printing past its limit', async () => {
      const c = collector();
      const started = Date.now();
      const r = await run('shell', { workdir: 'build', command: ['sh', '-c', 'while :; do echo tick; sleep 0.1; done'], timeout: 30, maxTime: 1 }, c.callbacks);
      assert.notEqual(r.rc, 0);
      assert.ok(Date.now() - started < 20_000);
      assert.match(c.text('stdout'), /tick/);
      assert.match(c.text('header'), /maxTime|max_time|timed out|timeout/i);
    });

    test('upload_file, upload_directory and download_file round trips match by sha256', async () => {
      const big = randomBytes(5 * 1024 * 1024 + 123);
      await mkdir(join(builderDir, 'build', 'out', 'nested'), { recursive: true });
      await writeFile(join(builderDir, 'build', 'out', 'big.bin'), big);
      await writeFile(join(builderDir, 'build', 'out', 'nested', 'small.txt'), 'small file\n');
      const masterDir = join(dir, 'master');

      const up = await worker.uploadFile(B, { workdir: 'build', workerSrc: 'out/big.bin', masterDest: join(masterDir, 'big.bin'), blocksize: 64 * 1024 }).result;
      assert.equal(up.rc, 0, JSON.stringify(up.failure));
      assert.equal(sha(await readFile(join(masterDir, 'big.bin'))), sha(big));

      for (const compress of [null, 'gz'] as const) {
        const dest = join(masterDir, `tree-${compress ?? 'plain'}`);
        const ud = await worker.uploadDirectory(B, { workdir: 'build', workerSrc: 'out', masterDest: dest, compress, blocksize: 64 * 1024 }).result;
        assert.equal(ud.rc, 0, JSON.stringify(ud.failure));
        assert.equal(sha(await readFile(join(dest, 'big.bin'))), sha(big));
        assert.equal(await readFile(join(dest, 'nested', 'small.txt'), 'utf8'), 'small file\n');
      }

      const down = await worker.downloadFile(B, { workdir: 'build', source: { path: join(masterDir, 'big.bin') }, workerDest: 'in/big-copy.bin', mode: 0o600 }).result;
      assert.equal(down.rc, 0, JSON.stringify(down.failure));
      const landed = join(builderDir, 'build', 'in', 'big-copy.bin');
      assert.equal(sha(await readFile(landed)), sha(big));
      assert.equal((await stat(landed)).mode & 0o777, 0o600);
      const str = await worker.downloadFile(B, { workdir: 'build', source: { data: Buffer.from('from memory') }, workerDest: 'in/mem.txt' }).result;
      assert.equal(str.rc, 0);
      assert.equal(await readFile(join(builderDir, 'build', 'in', 'mem.txt'), 'utf8'), 'from memory');
    });

    test('path escapes are refused: symlinks out of an uploaded directory, ../ and absolute worker paths', async () => {
      const outside = join(dir, 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'secret.txt'), 'secret');

      // A symlink in the uploaded tree pointing out of it must not become a way out of masterDest.
      await mkdir(join(builderDir, 'build', 'evil'), { recursive: true });
      await writeFile(join(builderDir, 'build', 'evil', 'ok.txt'), 'ok');
      await symlink('../../../../outside', join(builderDir, 'build', 'evil', 'link'));
      const dest = join(dir, 'master', 'evil-dest');
      const ud = await worker.uploadDirectory(B, { workdir: 'build', workerSrc: 'evil', masterDest: dest }).result;
      assert.ok(ud.failure || ud.rc !== 0, 'the upload with an escaping symlink fails');
      await assert.rejects(stat(join(dest, 'link', 'secret.txt')));

      // download_file to ../ or an absolute path outside the worker's basedir.
      for (const workerDest of ['../../../escaped.txt', join(dir, 'outside', 'abs.txt')]) {
        const r = await worker.downloadFile(B, { workdir: 'build', source: { data: Buffer.from('x') }, workerDest }).result;
        assert.ok(r.failure || r.rc !== 0, `download to ${workerDest} is refused`);
      }
      await assert.rejects(stat(join(dir, 'escaped.txt')));
      await assert.rejects(stat(join(dir, 'outside', 'abs.txt')));

      // upload_file reading outside the basedir.
      const r = await worker.uploadFile(B, { workdir: 'build', workerSrc: join(outside, 'secret.txt'), masterDest: join(dir, 'master', 'stolen.txt') }).result;
      assert.ok(r.failure || r.rc !== 0, 'reading outside the basedir is refused');
      const stolen = await readFile(join(dir, 'master', 'stolen.txt'), 'utf8').catch(() => '');
      assert.notEqual(stolen, 'secret');
    });

    test(`the worker really spoke ${encoding} to the master`, () => {
      const sent = encoding === 'json' ? frames.text : frames.binary;
      assert.ok(sent > 100, `the ${encoding} worker sent ${sent} ${encoding} frames (${JSON.stringify(frames)})`);
    });

    test('shutdown asks the worker to stop: it detaches and its process exits', async () => {
      const detached = h.nextDetached('e2e');
      const exited = new Promise<number | null>((resolve) => proc.child.once('exit', (code) => resolve(code)));
      await worker.shutdown();
      assert.equal(await detached, worker);
      assert.equal(await exited, 0);
    });
  });
}
