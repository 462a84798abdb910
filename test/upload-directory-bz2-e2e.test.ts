/**
 * `steps.directoryUpload({ compress: 'bz2' })` on a real master with a real worker: the worker
 * tars and bzip2-compresses the tree (the mastro worker through the bzip2 program, Debian's
 * buildbot-worker through Python's tarfile), the master decompresses it with bzip2 and unpacks it.
 * Every file arrives with the worker's bytes: text, a megabyte of random bytes, an empty file, a
 * nested one. The master needs the bzip2 program: without it this test fails and says so.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { TestEnv, hasBuildbotWorker, waitUntil, type MasterProcess } from './support/master-harness.js';
import { configSource } from './support/config.js';

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Every file under `dir`, as paths relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile()).map((d) => relative(dir, join(d.parentPath, d.name))).sort();
}

const MAKE_TREE = [
  'rm -rf out && mkdir -p out/nested/deep',
  "printf 'hello from the worker\\n' > out/hello.txt",
  'seq 1 100000 > out/nested/numbers.txt',
  'head -c 1048576 /dev/urandom > out/nested/deep/random.bin',
  ': > out/empty',
].join(' && ');

const config = configSource({ makeTree: MAKE_TREE }, (m, v) => m.defineConfig({
  title: 'bz2 upload',
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1' },
  workers: [m.worker('mw', 'pass'), m.worker('bw', 'pass')],
  builders: ['mw', 'bw'].map((w) => m.builder({ name: 'upload-' + w, workerNames: [w], steps: [
    m.steps.shell({ name: 'make tree', command: ['sh', '-c', v.makeTree] }),
    m.steps.directoryUpload({ workersrc: 'out', masterdest: 'uploaded/' + w, compress: 'bz2' }),
  ] })),
}));

describe("directoryUpload with compress: 'bz2' between a real master and real workers", () => {
  let env: TestEnv;
  let master: MasterProcess;

  before(async () => {
    try {
      execFileSync('bzip2', ['--help'], { stdio: 'ignore' });
    } catch {
      throw new Error("the bzip2 program is missing: the master needs it to unpack compress: 'bz2' uploads (apt-get install bzip2)");
    }
    env = new TestEnv();
    env.writeConfig(config);
    master = await env.startMaster();
  });

  after(() => env?.cleanup());

  const uploadAndCompare = async (workerName: 'mw' | 'bw', kind: 'mastro-worker' | 'buildbot-worker') => {
    env.startWorker(workerName, master.ready.workerPort, kind);
    const { brids } = await master.submit([`upload-${workerName}`]);
    const brid = Object.values(brids)[0];
    const build = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildrequestid === brid && b.complete), `the upload build on ${kind}`, 60_000);
    const steps = await master.get(['builds', build.buildid, 'steps']);
    assert.equal(build.results, 0, `the build failed: ${JSON.stringify(steps.map((s) => [s.name, s.results, s.state_string]))}\n${master.output.slice(-3000)}`);

    const source = join(env.workerDir(workerName), `upload-${workerName}`, 'build', 'out');
    const dest = join(env.masterDir, 'uploaded', workerName);
    const files = filesUnder(source);
    assert.deepEqual(files, ['empty', 'hello.txt', 'nested/deep/random.bin', 'nested/numbers.txt']);
    assert.deepEqual(filesUnder(dest), files, 'the same files arrived');
    for (const f of files) assert.equal(sha(join(dest, f)), sha(join(source, f)), `${f} has the worker's bytes`);
    assert.equal(readFileSync(join(dest, 'hello.txt'), 'utf8'), 'hello from the worker\n');
    assert.equal(readFileSync(join(dest, 'nested/numbers.txt'), 'utf8'), Array.from({ length: 100000 }, (_, i) => `${i + 1}\n`).join(''));
    assert.equal(readFileSync(join(dest, 'nested/deep/random.bin')).length, 1048576);
    assert.equal(readFileSync(join(dest, 'empty')).length, 0);
  };

  it('from the mastro worker (bzip2 program on both sides)', () => uploadAndCompare('mw', 'mastro-worker'));

  it("from Debian's buildbot-worker (Python's tarfile w|bz2)", { skip: hasBuildbotWorker() ? false : 'Debian buildbot-worker is not installed (apt-get install buildbot-worker)' },
    () => uploadAndCompare('bw', 'buildbot-worker'));
});
