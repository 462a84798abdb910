/**
 * Interop 1: Debian's unmodified `buildbot-worker` 3.7 (msgpack_experimental_v7) attaches to the
 * mastro worker server and runs shell, mkdir, stat, upload_file and download_file through the
 * RemoteCommand API with correct results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { startHarness } from '../packages/master/test/support/workers-harness.js';
import { buildbotWorkerInstalled, createBuildbotWorker, startBuildbotWorker, startBuildbotWorkerDaemon, BUILDBOT_WORKER } from './support/workers-buildbot-worker.js';
import type { UpdatePair } from '../packages/master/src/workers/types.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const skip = buildbotWorkerInstalled() ? false : `${BUILDBOT_WORKER} is not installed (apt-get install buildbot-worker)`;

test('an unmodified buildbot-worker 3.7 attaches and runs shell, mkdir, stat, upload_file and download_file', { skip, timeout: 120_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mastro-interop1-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const h = await startHarness({ workers: [{ name: 'bbw', password: 'interop-pw' }] });
  t.after(() => h.close());
  await h.manager.setBuilderList('bbw', ['interop']);

  const basedir = join(dir, 'worker');
  createBuildbotWorker(basedir, `127.0.0.1:${h.port}`, 'bbw', 'interop-pw');
  const attached = h.nextAttached('bbw');
  const proc = startBuildbotWorker(basedir);
  t.after(() => proc.stop());
  let timer: NodeJS.Timeout | undefined;
  const worker = await Promise.race([
    attached,
    new Promise<never>((_, reject) => {
      timer = setTimeout(async () => reject(new Error(`buildbot-worker did not attach in 60 s:\n${(await proc.log()).slice(-4000)}`)), 60_000);
    }),
  ]).finally(() => clearTimeout(timer));
  assert.equal(worker.info.basedir, basedir);
  assert.match(String(worker.info.version), /^3\.7/);
  assert.equal(worker.pathFlavour, 'posix');
  // The attach sequence created the builder directory, as Buildbot's master would.
  assert.ok((await stat(join(basedir, 'interop'))).isDirectory());

  // shell: output streams, exit code comes back.
  const out: UpdatePair[] = [];
  const shell = await worker.startCommand('interop', 'shell', {
    workdir: 'build', command: ['sh', '-c', 'echo hello from $WHO; echo oops >&2; exit 3'], env: { WHO: 'buildbot-worker' }, want_stdout: 1, want_stderr: 1, logEnviron: false,
  }, { onUpdate: (p) => out.push(p) }).result;
  assert.equal(shell.rc, 3, JSON.stringify(shell));
  const text = (key: string) => out.filter(([k]) => k === key).map(([, v]) => (Array.isArray(v) ? v[0] : v)).join('');
  assert.match(text('stdout'), /hello from buildbot-worker/);
  assert.match(text('stderr'), /oops/);

  // mkdir + stat.
  const mk = await worker.startCommand('interop', 'mkdir', { dir: 'build/sub/deeper' }).result;
  assert.equal(mk.rc, 0, JSON.stringify(mk));
  assert.ok((await stat(join(basedir, 'interop', 'build', 'sub', 'deeper'))).isDirectory());
  const st = await worker.startCommand('interop', 'stat', { file: 'sub', workdir: 'build' }).result;
  assert.equal(st.rc, 0);
  const mode = (st.updates.stat as number[])[0]!;
  assert.equal(mode & 0o170000, 0o040000, 'stat of a directory reports S_IFDIR');
  const missing = await worker.startCommand('interop', 'stat', { file: 'nope', workdir: 'build' }).result;
  assert.notEqual(missing.rc, 0);

  // upload_file: a file made on the worker arrives intact on the master.
  const payload = randomBytes(300_000);
  await writeFile(join(basedir, 'interop', 'build', 'artifact.bin'), payload);
  const masterDest = join(dir, 'master', 'artifact.bin');
  const up = await worker.uploadFile('interop', { workdir: 'build', workerSrc: 'artifact.bin', masterDest, blocksize: 32 * 1024 }).result;
  assert.equal(up.rc, 0, JSON.stringify(up));
  assert.equal(sha(await readFile(masterDest)), sha(payload));

  // download_file: from a master file and from memory, with mode.
  await mkdir(join(dir, 'master'), { recursive: true });
  const src = join(dir, 'master', 'tool.bin');
  const toolBytes = randomBytes(200_000);
  await writeFile(src, toolBytes);
  const down = await worker.downloadFile('interop', { workdir: 'build', source: { path: src }, workerDest: 'tools/tool.bin', blocksize: 16 * 1024, mode: 0o750 }).result;
  assert.equal(down.rc, 0, JSON.stringify(down));
  const landed = join(basedir, 'interop', 'build', 'tools', 'tool.bin');
  assert.equal(sha(await readFile(landed)), sha(toolBytes));
  assert.equal((await stat(landed)).mode & 0o777, 0o750);
  const inline = await worker.downloadFile('interop', { workdir: 'build', source: { data: Buffer.from('inline text\n') }, workerDest: 'inline.txt' }).result;
  assert.equal(inline.rc, 0);
  assert.equal(await readFile(join(basedir, 'interop', 'build', 'inline.txt'), 'utf8'), 'inline text\n');

  // Stopping the worker process detaches it.
  const detached = h.nextDetached('bbw');
  await proc.stop();
  await detached;
});

test('buildbot-worker start (daemon mode) exits 0 once it attached to a mastro master', { skip, timeout: 120_000 }, async () => {
  // `buildbot-worker start` follows twistd.log until "message from master: attached" (Buildbot's
  // master prints it on attach) and exits 1 when it never comes.
  const dir = await mkdtemp(join(tmpdir(), 'mastro-interop-start-'));
  const h = await startHarness({ workers: [{ name: 'bbw', password: 'interop-pw' }] });
  let daemon: Awaited<ReturnType<typeof startBuildbotWorkerDaemon>> | undefined;
  try {
    const basedir = join(dir, 'worker');
    createBuildbotWorker(basedir, `127.0.0.1:${h.port}`, 'bbw', 'interop-pw');
    const attached = h.nextAttached('bbw');
    daemon = await startBuildbotWorkerDaemon(basedir);
    assert.equal(daemon.code, 0, daemon.output.slice(-4000));
    assert.match(daemon.output, /appears to have \(re\)started correctly/);
    assert.match(daemon.output, /message from master: attached/);
    assert.equal((await attached).name, 'bbw');
  } finally {
    // The daemon outlives `start`; its pid file must still be there to stop it.
    await daemon?.stop();
    await h.close();
    await rm(dir, { recursive: true, force: true });
  }
});
