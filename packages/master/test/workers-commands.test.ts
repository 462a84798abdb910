import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { encodeTarHeader, packDirectory } from 'mastro-protocol/tar';
import { startHarness, type Harness } from './support/workers-harness.js';
import { connectFakeWorker, type FakeWorkerOptions, type CommandControl } from './support/workers-fake-worker.js';
import type { ConnectedWorker } from '../src/workers/connected-worker.js';
import type { UpdatePair } from '../src/workers/types.js';

type Script = NonNullable<FakeWorkerOptions['onCommand']>;

async function setup(t: import('node:test').TestContext, script: Script, opts: Parameters<typeof startHarness>[0] = {}) {
  // The fake refuses `frobnicate` at start_command, as a worker without that command does.
  const h: Harness = await startHarness({ workers: [{ name: 'w', password: 'p' }], ...opts });
  t.after(() => h.close());
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({
    url: h.url, name: 'w', password: 'p', basedir: '/base',
    refuseStart: (command) => (command === 'frobnicate' ? 'no command frobnicate here' : undefined),
    onCommand: async (command, args, ctl) => {
      if (command === 'listdir' && args.path === '/base') { await ctl.update([['files', []], ['rc', 0]]); await ctl.complete(null); return; }
      if (command === 'mkdir' && Array.isArray(args.paths) && String(args.paths[0]).startsWith('/base/info')) { await ctl.update([['rc', 0]]); await ctl.complete(null); return; }
      await script(command, args, ctl);
    },
  });
  t.after(() => fake.close());
  const worker: ConnectedWorker = await attached;
  fake.commands.length = 0;
  return { h, fake, worker };
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('updates reach onUpdate in wire order and the result keeps the last value of each key', async (t) => {
  const N = 20_000;
  const { worker, fake } = await setup(t, async (_c, _a, ctl) => {
    // Do not wait for each answer: a thousand updates in flight at once, as a chatty build does.
    for (let start = 0; start < N; start += 1000) {
      const sent: Promise<unknown>[] = [];
      for (let i = start; i < start + 1000; i++) sent.push(ctl.update([['stdout', [`line ${i}\n`, [6], [0]]]]));
      await Promise.all(sent);
    }
    await ctl.update([['rc', 3], ['elapsed', 1.5]]);
    await ctl.complete(null);
  });
  const seen: UpdatePair[] = [];
  const running = worker.startCommand('b1', 'shell', { workdir: 'build', command: ['make'], want_stdout: 1 }, { onUpdate: (p) => seen.push(p) });
  const result = await running.result;
  assert.equal(result.rc, 3);
  assert.equal(result.failure, undefined);
  assert.equal(result.updates.elapsed, 1.5);
  const lines = seen.filter(([k]) => k === 'stdout').map(([, v]) => (v as [string])[0]);
  assert.equal(lines.length, N);
  for (let i = 0; i < N; i++) assert.equal(lines[i], `line ${i}\n`);
  assert.deepEqual(fake.commands[0]!.args, { workdir: '/base/b1/build', command: ['make'], want_stdout: true });
  assert.equal(fake.commands[0]!.builderName, 'b1');
});

test('an update is acknowledged only once the promise onUpdate returned settles; later updates still arrive in order', async (t) => {
  const acked: string[] = [];
  let allSent!: Promise<unknown>;
  const { worker } = await setup(t, async (_c, _a, ctl) => {
    const first = ctl.update([['stdout', ['slow\n', [4], [0]]]]).then(() => acked.push('slow'));
    const second = ctl.update([['stdout', ['fast\n', [4], [0]]]]).then(() => acked.push('fast'));
    allSent = Promise.all([first, second]);
    await allSent;
    await ctl.complete(null);
  });
  let release!: () => void;
  const gate = new Promise<void>((res) => { release = res; });
  const seen: string[] = [];
  const running = worker.startCommand('b1', 'shell', { workdir: 'build', command: ['make'] }, {
    onUpdate: ([, v]) => {
      const text = (v as [string])[0];
      seen.push(text);
      return text === 'slow\n' ? gate : null;
    },
  });
  while (seen.length < 2) await new Promise((r) => setImmediate(r));
  // The second update was delivered and answered while the first is still held back.
  while (acked.length < 1) await new Promise((r) => setImmediate(r));
  assert.deepEqual(seen, ['slow\n', 'fast\n']);
  assert.deepEqual(acked, ['fast']);
  release();
  await allSent;
  assert.deepEqual(acked, ['fast', 'slow']);
  assert.equal((await running.result).rc, 0);
});

test('step-level args are turned into worker paths the way Buildbot does', async (t) => {
  const { worker, fake } = await setup(t, async (_c, _a, ctl) => { await ctl.update([['rc', 0]]); await ctl.complete(null); });
  const cases: [string, Record<string, unknown>][] = [
    ['mkdir', { dir: ['a', 'b'] }], ['rmdir', { dir: 'build' }], ['cpdir', { fromdir: 'source', todir: 'build' }],
    ['stat', { file: 'x.txt', workdir: 'build' }], ['listdir', { dir: 'build' }], ['glob', { path: 'build/*.xml' }],
    ['rmfile', { path: 'build/old' }], ['shell', { workdir: '/abs/dir', command: 'true' }],
  ];
  for (const [command, args] of cases) assert.equal((await worker.startCommand('bld', command, args).result).rc, 0);
  assert.deepEqual(fake.commands.map((c) => [c.command, c.args]), [
    ['mkdir', { paths: ['/base/bld/a', '/base/bld/b'] }],
    ['rmdir', { paths: ['/base/bld/build'] }],
    ['cpdir', { from_path: '/base/bld/source', to_path: '/base/bld/build' }],
    ['stat', { path: '/base/bld/build/x.txt', workdir: 'build' }],
    ['listdir', { path: '/base/bld/build' }],
    ['glob', { path: '/base/bld/build/*.xml' }],
    ['rmfile', { path: '/base/bld/build/old' }],
    ['shell', { workdir: '/abs/dir', command: 'true' }],
  ]);
});

test('a command the worker fails reports its failure text; a refused start is not a lost connection', async (t) => {
  const { worker } = await setup(t, async (command, _a, ctl) => {
    if (command === 'rmfile') { await ctl.update([['rc', 1]]); await ctl.complete('OSError: permission denied'); }
  });
  const failed = await worker.startCommand('b', 'rmfile', { path: 'x' }).result;
  assert.equal(failed.rc, 1);
  assert.equal(failed.failure?.message, 'OSError: permission denied');
  assert.equal(failed.failure?.lostConnection, undefined);
  const refused = await worker.startCommand('b', 'frobnicate', {}).result;
  assert.match(refused.failure?.message ?? '', /refused to start frobnicate: no command frobnicate here/);
  assert.notEqual(refused.failure?.lostConnection, true);
  assert.equal(refused.rc, null);
});

test('interrupt sends interrupt_command with the reason and the result says interrupted', async (t) => {
  let ctlOf: CommandControl | undefined;
  let markStarted!: () => void;
  const started = new Promise<void>((resolve) => { markStarted = resolve; });
  const { worker, fake } = await setup(t, async (_c, _a, ctl) => { ctlOf = ctl; markStarted(); });
  const running = worker.startCommand('b', 'shell', { workdir: 'w', command: 'sleep 100' });
  await started;
  await running.interrupt('build stopped by user');
  assert.deepEqual(fake.interrupts, [{ commandId: running.commandId, why: 'build stopped by user' }]);
  await ctlOf!.update([['rc', -15]]);
  await ctlOf!.complete(null);
  const result = await running.result;
  assert.equal(result.interrupted, true);
  assert.equal(result.rc, -15);
});

test('an uploaded file arrives intact, keeps its times and mode; more than maxsize is refused, not truncated', async (t) => {
  const payload = Buffer.alloc(300_000);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;
  const { worker, fake } = await setup(t, async (_c, args, ctl) => {
    const block = Number(args.blocksize);
    for (let off = 0; off < payload.length; off += block) await ctl.request('update_upload_file_write', { args: payload.subarray(off, off + block) });
    await ctl.request('update_upload_file_close', {});
    await ctl.request('update_upload_file_utime', { access_time: 1_600_000_000, modified_time: 1_500_000_000 });
    await ctl.update([['rc', 0]]);
    await ctl.complete(null);
  });
  const dir = await mkdtemp(join(tmpdir(), 'mastro-upl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dest = join(dir, 'sub', 'artifact.bin');
  const r = await worker.uploadFile('b', { workdir: 'build', workerSrc: '~/out/artifact.bin', masterDest: dest, blocksize: 65536, keepstamp: true, mode: 0o640 }).result;
  assert.equal(r.rc, 0);
  assert.equal(sha(await readFile(dest)), sha(payload));
  const st = await stat(dest);
  assert.equal(Math.round(st.mtimeMs / 1000), 1_500_000_000);
  assert.equal(st.mode & 0o777, 0o640);
  assert.deepEqual(fake.commands[0]!.command, 'upload_file');
  // `~` is the worker's own HOME (from get_worker_info), and an absolute path is not re-rooted.
  assert.equal(fake.commands[0]!.args.path, '/home/fake/out/artifact.bin');

  // This worker ignores maxsize (Buildbot's stops at it with rc 1): the master refuses the upload.
  const small = join(dir, 'small.bin');
  const refused = await worker.uploadFile('b', { workdir: 'build', workerSrc: 'a', masterDest: small, maxsize: 1000, blocksize: 65536 }).result;
  assert.equal(refused.failure?.refused, true);
  assert.match(refused.failure?.message ?? '', /more than the step's maxsize of 1000 bytes/);
  assert.deepEqual((await readdir(dir)).sort(), ['sub']);
});

test("an upload beyond the master's maxUploadSize fails with a clear message and leaves no file", async (t) => {
  const { worker } = await setup(t, async (_c, _args, ctl) => {
    try {
      for (let i = 0; i < 10; i++) await ctl.request('update_upload_file_write', { args: Buffer.alloc(4096) });
      await ctl.request('update_upload_file_close', {});
      await ctl.complete(null);
    } catch (err) {
      await ctl.complete(String((err as Error).message));
    }
  }, { maxUploadSize: 10_000 });
  const dir = await mkdtemp(join(tmpdir(), 'mastro-upl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await worker.uploadFile('b', { workdir: 'w', workerSrc: 'big', masterDest: join(dir, 'big') }).result;
  assert.match(r.failure?.message ?? '', /maxUploadSize of 10000 bytes/);
  assert.deepEqual(await readdir(dir), []);
});

test('a failed upload leaves the existing destination untouched and no temporary file behind', async (t) => {
  const { worker } = await setup(t, async (_c, _args, ctl) => {
    await ctl.request('update_upload_file_write', { args: Buffer.from('partial') });
    await ctl.request('update_upload_file_close', {});
    await ctl.update([['stderr', ['Maximum filesize reached, truncating file\n', [41], [0]]], ['rc', 1]]);
    await ctl.complete(null);
  });
  const dir = await mkdtemp(join(tmpdir(), 'mastro-upl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'artifact'), 'previous build');
  const r = await worker.uploadFile('b', { workdir: 'w', workerSrc: 'artifact', masterDest: join(dir, 'artifact'), maxsize: 3 }).result;
  assert.equal(r.rc, 1);
  assert.equal(await readFile(join(dir, 'artifact'), 'utf8'), 'previous build');
  assert.deepEqual(await readdir(dir), ['artifact']);
});

test('a download is served block by block from a master file or from memory', async (t) => {
  const received: Buffer[] = [];
  const { worker, fake } = await setup(t, async (_c, args, ctl) => {
    const chunks: Buffer[] = [];
    for (;;) {
      const data = await ctl.request('update_read_file', { length: Number(args.blocksize) }) as Buffer;
      if (!data.length) break;
      chunks.push(Buffer.from(data));
    }
    await ctl.request('update_read_file_close', {});
    received.push(Buffer.concat(chunks));
    await ctl.update([['rc', 0]]);
    await ctl.complete(null);
  });
  const dir = await mkdtemp(join(tmpdir(), 'mastro-dl-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const content = Buffer.from('x'.repeat(100_000) + 'end');
  await writeFile(join(dir, 'src.bin'), content);
  assert.equal((await worker.downloadFile('b', { workdir: 'build', source: { path: join(dir, 'src.bin') }, workerDest: 'dst.bin', blocksize: 4096, mode: 0o755 }).result).rc, 0);
  assert.equal((await worker.downloadFile('b', { workdir: 'build', source: { data: Buffer.from('hello') }, workerDest: 'h.txt' }).result).rc, 0);
  assert.equal(sha(received[0]!), sha(content));
  assert.equal(received[1]!.toString(), 'hello');
  assert.deepEqual(fake.commands[0]!.args, { workdir: 'build', workerdest: 'dst.bin', maxsize: null, blocksize: 4096, mode: 0o755, path: '/base/b/build/dst.bin' });
});

function hostileTar(name: string, content: string): Buffer {
  const data = Buffer.from(content);
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([encodeTarHeader({ name, type: 'file', size: data.length, mode: 0o644, mtime: 0, linkname: '' }), data, pad, Buffer.alloc(1024)]);
}

test('a directory upload is extracted into masterDest; a tar entry escaping it is refused', async (t) => {
  let tarToSend: Buffer = Buffer.alloc(0);
  const { worker } = await setup(t, async (_c, _args, ctl) => {
    try {
      for (let off = 0; off < tarToSend.length; off += 8192) await ctl.request('update_upload_directory_write', { args: tarToSend.subarray(off, off + 8192) });
      await ctl.request('update_upload_directory_unpack', {});
      await ctl.update([['rc', 0]]);
      await ctl.complete(null);
    } catch (err) {
      await ctl.update([['rc', 1]]);
      await ctl.complete(`unpack failed: ${(err as Error).message}`);
    }
  });
  const dir = await mkdtemp(join(tmpdir(), 'mastro-dir-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const src = join(dir, 'src');
  await mkdir(join(src, 'nested'), { recursive: true });
  await writeFile(join(src, 'a.txt'), 'alpha');
  await writeFile(join(src, 'nested', 'b.txt'), 'beta');
  const chunks: Buffer[] = [];
  for await (const c of packDirectory(src, { gzip: true })) chunks.push(c as Buffer);
  tarToSend = Buffer.concat(chunks);
  const out = join(dir, 'out');
  const ok = await worker.uploadDirectory('b', { workdir: 'w', workerSrc: 'dist', masterDest: out, compress: 'gz' }).result;
  assert.equal(ok.rc, 0);
  assert.equal(await readFile(join(out, 'a.txt'), 'utf8'), 'alpha');
  assert.equal(await readFile(join(out, 'nested', 'b.txt'), 'utf8'), 'beta');

  tarToSend = hostileTar('../escaped.txt', 'gotcha');
  const bad = await worker.uploadDirectory('b', { workdir: 'w', workerSrc: 'dist', masterDest: join(dir, 'out2') }).result;
  assert.match(bad.failure?.message ?? '', /\.\.|unsafe|refus/i);
  await assert.rejects(stat(join(dir, 'escaped.txt')));
  tarToSend = hostileTar('/tmp/absolute-escape.txt', 'gotcha');
  const abs = await worker.uploadDirectory('b', { workdir: 'w', workerSrc: 'dist', masterDest: join(dir, 'out3') }).result;
  assert.match(abs.failure?.message ?? '', /absolute/i);
});

test('losing the connection ends every running command with lostConnection and fires onDisconnect once', async (t) => {
  const { worker, fake } = await setup(t, async () => { /* never completes */ });
  const a = worker.startCommand('b', 'shell', { workdir: 'x', command: 'sleep 1' });
  const b = worker.startCommand('b', 'shell', { workdir: 'x', command: 'sleep 2' });
  let fired = 0;
  const gone = new Promise<void>((resolve) => worker.onDisconnect(() => { fired++; resolve(); }));
  while (fake.commands.length < 2) await new Promise((r) => setImmediate(r));
  fake.ws.terminate();
  await gone;
  for (const r of [await a.result, await b.result]) {
    assert.equal(r.failure?.lostConnection, true);
    assert.equal(r.rc, null);
  }
  assert.equal(fired, 1);
  const late = await worker.startCommand('b', 'shell', { workdir: 'x', command: 'true' }).result;
  assert.equal(late.failure?.lostConnection, true);
});

test('an update for an unknown command id is refused with the id cut short, however long the worker made it', async (t) => {
  const { fake } = await setup(t, async () => {});
  const err = await fake.conn.request('update', { command_id: 'q'.repeat(1024 * 1024), args: [['rc', 0]] }).catch((e: Error) => e);
  assert.ok(err instanceof Error);
  assert.ok(err.message.length < 1000, `the refusal is ${err.message.length} characters`);
  assert.match(err.message, /^unknown command_id "q{199}\.\.\. \(1048578 characters\): no such command is running on this connection$/);
});
