/**
 * Steps against a REAL mastro-worker process over a loopback WebSocket: the git step checks out a
 * real repository at a pinned revision and updates it; file transfers round-trip by checksum; the
 * junit step reads a report the worker wrote. Steps run on a recording StepRuntime whose commands go
 * to the real worker (the engine's build loop is tested elsewhere).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, type Harness } from '../packages/master/test/support/workers-harness.js';
import type { ConnectedWorker } from '../packages/master/src/workers/connected-worker.js';
import { steps } from '../packages/master/src/steps/index.js';
import { Results } from '../packages/master/src/model/results.js';
import type { SourceStampInfo } from '../packages/master/src/process/step-types.js';
import { FakeRuntime } from '../packages/master/test/support/steps-fake-runtime.js';

const WORKER_CLI = new URL('../packages/worker/dist/cli.js', import.meta.url).pathname;
const BUILDER = 'e2e';

type WorkerKind = 'mastro-worker' | 'buildbot-worker';

function hasBuildbotWorker(): boolean {
  try { execFileSync('buildbot-worker', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

/** Creates and starts a worker of that kind in `dir`, connecting to the harness. */
function startWorkerProcess(kind: WorkerKind, dir: string, port: number): ChildProcess {
  if (kind === 'mastro-worker') {
    execFileSync(process.execPath, [WORKER_CLI, 'create-worker', dir, `127.0.0.1:${port}`, 'w', 'pw']);
    return spawn(process.execPath, [WORKER_CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  execFileSync('buildbot-worker', ['create-worker', '--protocol=msgpack_experimental_v7', dir, `127.0.0.1:${port}`, 'w', 'pw'], { stdio: 'ignore' });
  return spawn('buildbot-worker', ['start', '--nodaemon', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
}

for (const kind of ['mastro-worker', 'buildbot-worker'] as const) {
const skip = kind === 'buildbot-worker' && !hasBuildbotWorker() ? 'Debian buildbot-worker is not installed (apt-get install buildbot-worker)' : false;
describe(`steps on a real ${kind}`, { skip }, () => {
let tmp: string;
let repo: string;
let masterDir: string;
let workerDir: string;
let h: Harness;
let worker: ConnectedWorker;
let proc: ChildProcess;
let rev1: string;
let rev2: string;

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, {
  cwd, encoding: 'utf8',
  env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' },
}).trim();
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const builderDir = () => join(workerDir, BUILDER);

function runtime(sourcestamps: SourceStampInfo[] = [], workdir = 'build') {
  return new FakeRuntime({ liveWorker: worker, builderName: BUILDER, masterDir, sourcestamps, workdir });
}

before(async () => {
  if (kind === 'mastro-worker') assert.ok(existsSync(WORKER_CLI), `the worker is not built (${WORKER_CLI}); run npm run build first`);
  tmp = mkdtempSync(join(tmpdir(), 'mastro-steps-e2e-'));
  repo = join(tmp, 'repo');
  masterDir = join(tmp, 'master');
  workerDir = join(tmp, 'worker');
  mkdirSync(repo);
  mkdirSync(masterDir);
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'version.txt'), 'one\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'first');
  rev1 = git(repo, 'rev-parse', 'HEAD');
  writeFileSync(join(repo, 'version.txt'), 'two\n');
  git(repo, 'commit', '-q', '-am', 'second');
  rev2 = git(repo, 'rev-parse', 'HEAD');

  h = await startHarness({ workers: [{ name: 'w', password: 'pw' }] });
  await h.manager.setBuilderList('w', [{ name: BUILDER, builddir: BUILDER }]);
  const attached = h.nextAttached('w');
  proc = startWorkerProcess(kind, workerDir, h.port);
  let stderr = '';
  proc.stderr!.on('data', (d) => { stderr += d; });
  const exited = new Promise<never>((_, rej) => proc.once('exit', (code) => rej(new Error(`worker exited (${code}) before attaching: ${stderr}`))));
  worker = await Promise.race([attached, exited]);
});

after(async () => {
  if (proc && proc.exitCode === null) {
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await gone;
  }
  await h?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const ss = (revision: string | null): SourceStampInfo => ({ codebase: '', repository: repo, branch: 'main', revision, project: '' });

describe('git step on a real worker', () => {
  it('clones a real repository at a pinned revision and records got_revision', async () => {
    const rt = runtime([ss(rev1)]);
    const result = await steps.git({ repourl: repo, mode: 'full', method: 'clobber' }).create().run(rt);
    assert.equal(result, Results.SUCCESS, rt.logs.get('stdio')?.all);
    assert.equal(readFileSync(join(builderDir(), 'build', 'version.txt'), 'utf8'), 'one\n');
    assert.equal(rt.getProperty('got_revision'), rev1);
    assert.match(rt.logs.get('stdio')!.header, /=== git clone --branch main/);
  });

  it('updates the same working copy incrementally to a newer revision', async () => {
    writeFileSync(join(builderDir(), 'build', 'untracked.o'), 'x');
    const rt = runtime([ss(rev2)]);
    assert.equal(await steps.git({ repourl: repo, mode: 'incremental' }).create().run(rt), Results.SUCCESS, rt.logs.get('stdio')?.all);
    assert.equal(readFileSync(join(builderDir(), 'build', 'version.txt'), 'utf8'), 'two\n');
    assert.equal(rt.getProperty('got_revision'), rev2);
    assert.ok(!rt.gitLines.some((l) => l.startsWith('git clone')), 'no re-clone');
    assert.ok(existsSync(join(builderDir(), 'build', 'untracked.o')), 'incremental keeps untracked files');
  });

  it('full/fresh removes untracked files; a patch from the SourceStamp is applied and cleaned next time', async () => {
    const diff = git(repo, 'diff', rev2, rev1) + '\n';
    const patched = runtime([{ ...ss(rev2), patch: { level: 1, subdir: '', body: diff } }]);
    assert.equal(await steps.git({ repourl: repo, mode: 'full', method: 'fresh' }).create().run(patched), Results.SUCCESS, patched.logs.get('stdio')?.all);
    assert.ok(!existsSync(join(builderDir(), 'build', 'untracked.o')));
    assert.equal(readFileSync(join(builderDir(), 'build', 'version.txt'), 'utf8'), 'one\n', 'the patch turned two back into one');
    const next = runtime([ss(rev2)]);
    assert.equal(await steps.git({ repourl: repo, mode: 'incremental' }).create().run(next), Results.SUCCESS);
    assert.equal(readFileSync(join(builderDir(), 'build', 'version.txt'), 'utf8'), 'two\n');
    assert.equal(next.gitLines[0], 'git clean -f -f -d -x', 'a patched tree is cleaned first');
  });

  it('fails (and says so) for a revision that does not exist', async () => {
    const rt = runtime([ss('0123456789abcdef0123456789abcdef01234567')]);
    assert.equal(await steps.git({ repourl: repo, mode: 'incremental' }).create().run(rt), Results.FAILURE);
    assert.match(rt.logs.get('stdio')!.header, /failed \(rc=/);
  });
});

describe('transfers and file steps on a real worker', () => {
  it('fileDownload then fileUpload round-trips 3 MB byte for byte', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(join(masterDir, 'blob.bin'), data);
    const down = runtime();
    assert.equal(await steps.fileDownload({ mastersrc: 'blob.bin', workerdest: 'blob.bin', mode: 0o600 }).create().run(down), Results.SUCCESS);
    assert.equal(sha256(readFileSync(join(builderDir(), 'build', 'blob.bin'))), sha256(data));
    const up = runtime();
    assert.equal(await steps.fileUpload({ workersrc: 'blob.bin', masterdest: 'artifacts/blob.copy' }).create().run(up), Results.SUCCESS);
    assert.equal(sha256(readFileSync(join(masterDir, 'artifacts', 'blob.copy'))), sha256(data));
  });

  it('stringDownload writes text the worker can read, and fileExists sees it', async () => {
    assert.equal(await steps.stringDownload({ s: 'hello e2e\n', workerdest: 'hello.txt' }).create().run(runtime()), Results.SUCCESS);
    assert.equal(readFileSync(join(builderDir(), 'build', 'hello.txt'), 'utf8'), 'hello e2e\n');
    assert.equal(await steps.fileExists({ file: 'build/hello.txt' }).create().run(runtime()), Results.SUCCESS);
    assert.equal(await steps.fileExists({ file: 'build/missing.txt' }).create().run(runtime()), Results.FAILURE);
    assert.equal(await steps.fileExists({ file: 'build' }).create().run(runtime()), Results.FAILURE);
  });

  it('directoryUpload brings a tree to the master', async () => {
    mkdirSync(join(builderDir(), 'build', 'docs', 'sub'), { recursive: true });
    writeFileSync(join(builderDir(), 'build', 'docs', 'index.html'), '<h1>x</h1>');
    writeFileSync(join(builderDir(), 'build', 'docs', 'sub', 'a.txt'), 'a');
    const rt = runtime();
    assert.equal(await steps.directoryUpload({ workersrc: 'docs', masterdest: 'public/docs' }).create().run(rt), Results.SUCCESS, JSON.stringify([...rt.logs.values()].map((l) => l.all)));
    assert.equal(readFileSync(join(masterDir, 'public', 'docs', 'sub', 'a.txt'), 'utf8'), 'a');
  });

  it('makeDirectory, copyDirectory and removeDirectory act on the worker', async () => {
    assert.equal(await steps.makeDirectory({ dir: 'build/made/deep' }).create().run(runtime()), Results.SUCCESS);
    assert.ok(existsSync(join(builderDir(), 'build', 'made', 'deep')));
    assert.equal(await steps.copyDirectory({ src: 'build/docs', dest: 'build/docs-copy' }).create().run(runtime()), Results.SUCCESS);
    assert.equal(readFileSync(join(builderDir(), 'build', 'docs-copy', 'sub', 'a.txt'), 'utf8'), 'a');
    assert.equal(await steps.removeDirectory({ dir: 'build/docs-copy' }).create().run(runtime()), Results.SUCCESS);
    assert.ok(!existsSync(join(builderDir(), 'build', 'docs-copy')));
  });

  it('shell and setPropertyFromCommand run real commands', async () => {
    const rt = runtime();
    assert.equal(await steps.setPropertyFromCommand({ command: ['cat', 'version.txt'], property: 'v' }).create().run(rt), Results.SUCCESS);
    assert.equal(rt.getProperty('v'), 'two');
    assert.equal(await steps.shell({ command: 'exit 3', decodeRC: { 3: Results.WARNINGS } }).create().run(runtime()), Results.WARNINGS);
  });

  it('junit reads a report the build wrote and shows its counts', async () => {
    mkdirSync(join(builderDir(), 'build', 'reports'), { recursive: true });
    writeFileSync(join(builderDir(), 'build', 'reports', 'a.xml'),
      '<testsuite name="s"><testcase name="ok"/><testcase name="bad"><failure message="boom"/></testcase><testcase name="sk"><skipped/></testcase></testsuite>');
    const rt = runtime();
    assert.equal(await steps.junit({ path: 'reports/*.xml' }).create().run(rt), Results.FAILURE, rt.logs.get('stdio')?.all);
    assert.equal(rt.summaries.at(-1)!.build, '1 passed, 1 failed, 1 skipped');
    assert.match(rt.logs.get('failures')!.content, /FAIL: s > bad — boom/);
  });
});
});
}
