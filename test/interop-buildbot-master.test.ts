// Interop 2 (issue 2): the mastro worker runs builds for an unmodified Debian Buildbot 3.7 master
// speaking msgpack_experimental_v7. The master runs without www; builds are triggered with
// `buildbot sendchange`, stopped through the master's data API, and judged by the master's own
// state.sqlite. The same scenarios also run with Debian's `buildbot-worker` 3.7: that proves the
// harness, so a failure only in the mastro block points at the mastro worker.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import {
  BuildbotResults, buildbotMissingReason, startBuildbotMaster, stopProcessGroup, type BuildbotMaster, type BuildRow,
} from './support/buildbot-master.js';

const repoRoot = new URL('..', import.meta.url).pathname;
const mastroWorkerCli = join(repoRoot, 'packages/worker/dist/cli.js');
const missing = await buildbotMissingReason();
const WORKER = { name: 'interop-worker', password: 'interop-worker-pw' };
const ATTACH_TIMEOUT_MS = 60_000;
const BUILD_TIMEOUT_MS = 120_000;
const PROCESS_EXIT_TIMEOUT_MS = 15_000;

interface RunningWorker { logTail(): string; stop(): Promise<void> }

interface WorkerKind {
  label: string;
  /** Null when this worker can run here, else why its block is skipped. */
  missing: string | null;
  /** The `version` it reports in get_worker_info: proves which worker the master is talking to. */
  version: RegExp;
  start(dir: string, workerPort: number): Promise<RunningWorker>;
}

const mastroWorker: WorkerKind = {
  label: 'the mastro worker',
  // Never skipped for being unbuilt: a missing CLI fails the block with a message saying to build it.
  missing: null,
  version: new RegExp(`^${(JSON.parse(readFileSync(join(repoRoot, 'packages/worker/package.json'), 'utf8')) as { version: string })
    .version.replaceAll('.', '\\.')}$`),
  async start(dir, workerPort) {
    if (!existsSync(mastroWorkerCli)) {
      throw new Error(`${mastroWorkerCli} does not exist: build the worker first (npm run build)`);
    }
    execFileSync(process.execPath, [mastroWorkerCli, 'create-worker', dir, `127.0.0.1:${workerPort}`, WORKER.name, WORKER.password],
      { stdio: 'pipe' });
    const child = spawn(process.execPath, [mastroWorkerCli, 'start', dir, '--foreground'],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return capturedWorker(child, () => '');
  },
};

const debianWorker: WorkerKind = {
  label: "Debian's buildbot-worker 3.7 (harness reference)",
  version: /^3\.7\./,
  missing: commandWorks('buildbot-worker', ['--version']) ? null : 'the `buildbot-worker` command is not installed (apt-get install buildbot-worker)',
  async start(dir, workerPort) {
    execFileSync('buildbot-worker', ['create-worker', '--protocol=msgpack_experimental_v7', dir, `127.0.0.1:${workerPort}`,
      WORKER.name, WORKER.password], { stdio: 'pipe' });
    const child = spawn('buildbot-worker', ['start', '--nodaemon', dir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    return capturedWorker(child, () => tail(join(dir, 'twistd.log')));
  },
};

function commandWorks(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Keeps the last 64 KiB of a worker's output for failure messages. */
function capturedWorker(child: ChildProcess, logFile: () => string): RunningWorker {
  let output = '';
  const keep = (d: Buffer) => { output = (output + d.toString()).slice(-65_536); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('exit', (code, signal) => keep(Buffer.from(`\n[worker exited: ${code ?? signal}]\n`)));
  return {
    logTail: () => `${tailText(output)}${logFile()}`,
    stop: () => stopProcessGroup(child, PROCESS_EXIT_TIMEOUT_MS),
  };
}

for (const kind of [debianWorker, mastroWorker]) {
  describe(`an unmodified Buildbot 3.7 master with ${kind.label}`, { skip: missing ?? kind.missing ?? false }, () => {
    let root: string;
    let repo: TestRepo;
    let master: BuildbotMaster | undefined;
    let worker: RunningWorker | undefined;
    const diagnostics = () =>
      `\n--- master twistd.log ---\n${master?.logTail() ?? ''}\n--- worker output ---\n${worker?.logTail() ?? ''}`;

    before(async () => {
      root = mkdtempSync(join(tmpdir(), 'mastro-interop2-'));
      repo = makeRepository(root);
      master = await startBuildbotMaster({ workerName: WORKER.name, workerPassword: WORKER.password, repoUrl: repo.url });
      worker = await kind.start(join(root, 'worker'), master.workerPort);
      await waitFor('the worker to attach to the master', ATTACH_TIMEOUT_MS, diagnostics,
        () => master!.isWorkerConnected(WORKER.name) || undefined);
    });

    test('the master records the worker info the worker reports on attach', () => {
      // Buildbot 3.7 keeps admin, host, access_uri and version of the get_worker_info answer.
      const info = master!.workerInfo(WORKER.name);
      assert.match(String(info?.version), kind.version, `unexpected worker info ${JSON.stringify(info)}`);
      assert.equal(typeof info?.admin, 'string', `no info/admin in ${JSON.stringify(info)}`);
      assert.equal(typeof info?.host, 'string', `no info/host in ${JSON.stringify(info)}`);
    });

    after(async () => {
      await worker?.stop();
      if (master) {
        killLeftovers(master.pidDir);
        await master.stop();
      }
      rmSync(root, { recursive: true, force: true });
    });

    test('a build with a Git checkout, a shell command, a file upload and a directory upload ends SUCCESS', async () => {
      const m = master!;
      const previous = lastBuildId(m, 'interop');
      await m.sendChange({ project: 'interop', repository: repo.url, branch: 'main', revision: repo.revision });
      const build = await waitForFinishedBuild(m, 'interop', diagnostics, previous);
      assertSuccessfulInteropBuild(m, build, repo, diagnostics);
    });

    test('a change pushed after a first build is built incrementally on the existing checkout', async () => {
      const m = master!;
      // Make sure a checkout exists, whether or not the previous test ran.
      if (!m.builds('interop').some((b) => b.results === BuildbotResults.SUCCESS)) {
        await m.sendChange({ project: 'interop', repository: repo.url, branch: 'main', revision: repo.revision });
        await waitForFinishedBuild(m, 'interop', diagnostics);
      }
      const previous = lastBuildId(m, 'interop');
      commitChange(repo, { 'payload.bin': randomBytes(200_000), 'tree/main.txt': Buffer.from('main, second revision\n') });
      await m.sendChange({ project: 'interop', repository: repo.url, branch: 'main', revision: repo.revision });
      const build = await waitForFinishedBuild(m, 'interop', diagnostics, previous);
      assertSuccessfulInteropBuild(m, build, repo, diagnostics);
      const gitStep = m.steps(build.id).find((s) => s.name === 'git')!;
      // Buildbot's incremental mode fetches into the existing clone instead of cloning again.
      const gitLog = m.stepLog(gitStep.id, 'stdio');
      assert.match(gitLog, /git fetch/, `the git step did not fetch:\n${gitLog}`);
      assert.doesNotMatch(gitLog, /git clone/, `the git step cloned again:\n${gitLog}`);
    });

    test('a non-zero exit code and a no-output timeout end their steps FAILURE', async () => {
      const m = master!;
      await m.sendChange({ project: 'failing', repository: repo.url, branch: 'main' });
      const build = await waitForFinishedBuild(m, 'failing', diagnostics);
      assert.equal(build.results, BuildbotResults.FAILURE, `build ended ${build.results} (${build.state_string})${diagnostics()}`);
      const steps = m.steps(build.id);
      const exit3 = steps.find((s) => s.name === 'exit 3');
      const silent = steps.find((s) => s.name === 'silent too long');
      assert.equal(exit3?.results, BuildbotResults.FAILURE, `exit 3 ended ${exit3?.results}${diagnostics()}`);
      assert.equal(silent?.results, BuildbotResults.FAILURE, `silent too long ended ${silent?.results}${diagnostics()}`);
      // Buildbot stdio logs prefix each line with its stream: e = stderr, h = header.
      const exitLog = m.stepLog(exit3!.id, 'stdio');
      assert.match(exitLog, /^eabout to fail$/m, `stderr missing:\n${exitLog}`);
      assert.match(exitLog, /exit code 3/, `exit code missing:\n${exitLog}`);
      const silentLog = m.stepLog(silent!.id, 'stdio');
      assert.match(silentLog, /timed out/i, `no timeout reported:\n${silentLog}`);
    });

    test("stopping a build from the master kills its command's process tree and ends the build CANCELLED", async () => {
      const m = master!;
      await m.sendChange({ project: 'sleeper', repository: repo.url, branch: 'main' });
      // The command writes child.pid, then shell.pid: once both parse, both processes exist.
      const pids = await waitFor('the sleeping command to write its pids', BUILD_TIMEOUT_MS, diagnostics, () => {
        const shell = readPid(join(m.pidDir, 'shell.pid'));
        const child = readPid(join(m.pidDir, 'child.pid'));
        return shell && child ? { shell, child } : undefined;
      });
      assert.ok(isAlive(pids.shell) && isAlive(pids.child), 'the command should be running before the stop');
      const running = m.builds('sleeper').find((b) => b.complete_at === null);
      assert.ok(running, `no running sleeper build${diagnostics()}`);

      await m.stopBuild(running.id);
      const build = await waitForFinishedBuild(m, 'sleeper', diagnostics);
      assert.equal(build.id, running.id);
      assert.equal(build.results, BuildbotResults.CANCELLED, `build ended ${build.results} (${build.state_string})${diagnostics()}`);
      const sleepStep = m.steps(build.id).find((s) => s.name === 'sleep');
      assert.equal(sleepStep?.results, BuildbotResults.CANCELLED, `sleep step ended ${sleepStep?.results}${diagnostics()}`);

      await waitFor('the stopped command and its child to exit', PROCESS_EXIT_TIMEOUT_MS, diagnostics,
        () => (!isAlive(pids.shell) && !isAlive(pids.child)) || undefined);
    });
  });
}

/** SUCCESS for the build and every step, the shell output, and uploads matching the repository. */
function assertSuccessfulInteropBuild(m: BuildbotMaster, build: BuildRow, repo: TestRepo, diagnostics: () => string): void {
  const steps = m.steps(build.id);
  assert.deepEqual(steps.map((s) => s.name), ['worker_preparation', 'git', 'make artifacts', 'upload', 'upload_1'],
    `unexpected steps${diagnostics()}`);
  for (const step of steps) {
    assert.equal(step.results, BuildbotResults.SUCCESS, `step ${step.name} ended ${step.results} (${step.state_string})${diagnostics()}`);
  }
  assert.equal(build.results, BuildbotResults.SUCCESS, `build ended ${build.results} (${build.state_string})${diagnostics()}`);

  const shellStep = steps.find((s) => s.name === 'make artifacts')!;
  assert.match(m.stepLog(shellStep.id, 'stdio'), new RegExp(`artifacts made from ${repo.revision}`));

  assert.equal(sha256(readFileSync(join(m.uploadDir, 'payload.bin'))), repo.files['payload.bin'],
    'the FileUpload delivered payload.bin with different content');
  const expectedDist: Record<string, string> = { REVISION: sha256(Buffer.from(`${repo.revision}\n`)) };
  for (const [path, digest] of Object.entries(repo.files)) {
    if (path.startsWith('tree/')) expectedDist[path.slice('tree/'.length)] = digest;
  }
  assert.deepEqual(checksumTree(join(m.uploadDir, 'dist')), expectedDist, 'the DirectoryUpload delivered a different tree');
}

interface TestRepo {
  url: string;
  /** The working clone commits are made in, then pushed to the bare repository at `url`. */
  work: string;
  revision: string;
  /** sha256 of every committed file, by path. */
  files: Record<string, string>;
}

/** A bare repository with one commit: a README, a 300 KB random payload and a small tree. */
function makeRepository(root: string): TestRepo {
  const work = join(root, 'repo-work');
  const bare = join(root, 'repo.git');
  const contents: Record<string, Buffer> = {
    'README.md': Buffer.from('# interop fixture\n'),
    'payload.bin': randomBytes(300_000),
    'tree/main.txt': Buffer.from('main\n'),
    'tree/bytes.bin': Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    'tree/nested/deep.txt': Buffer.from('deep\n'.repeat(1000)),
  };
  mkdirSync(work);
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'init', '-q', '--bare', '-b', 'main', bare);
  git(work, 'remote', 'add', 'origin', bare);
  const repo: TestRepo = { url: `file://${bare}`, work, revision: '', files: {} };
  commitChange(repo, contents);
  return repo;
}

/** Writes `changes` into the work tree, commits, pushes to the bare repository, updates `repo`. */
function commitChange(repo: TestRepo, changes: Record<string, Buffer>): void {
  for (const [path, data] of Object.entries(changes)) {
    mkdirSync(dirname(join(repo.work, path)), { recursive: true });
    writeFileSync(join(repo.work, path), data);
    repo.files[path] = sha256(data);
  }
  git(repo.work, 'add', '.');
  git(repo.work, '-c', 'user.name=mastro interop', '-c', 'user.email=interop@mastro.invalid', 'commit', '-q', '-m', 'change');
  git(repo.work, 'push', '-q', 'origin', 'main');
  repo.revision = git(repo.work, 'rev-parse', 'HEAD');
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** The first finished build of `builder` whose id is above `afterBuildId`. */
async function waitForFinishedBuild(
  m: BuildbotMaster, builder: string, diagnostics: () => string, afterBuildId = 0,
): Promise<BuildRow> {
  return waitFor(`a finished build on builder ${builder}`, BUILD_TIMEOUT_MS, diagnostics,
    () => m.builds(builder).find((b) => b.id > afterBuildId && b.complete_at !== null && b.results !== null));
}

function lastBuildId(m: BuildbotMaster, builder: string): number {
  return m.builds(builder).at(-1)?.id ?? 0;
}

/** Polls `probe` until it returns a value; fails after `timeoutMs` with what was awaited and the logs. */
async function waitFor<T>(what: string, timeoutMs: number, diagnostics: () => string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${diagnostics()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function checksumTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[relative(dir, full)] = sha256(readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** A zombie (exited, not yet reaped by whoever adopted it) counts as dead. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) STATE ..."; comm may contain spaces, so read after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** If a stop test failed half-way, its sleeping processes must not outlive the test. */
function killLeftovers(pidDir: string): void {
  for (const file of ['shell.pid', 'child.pid']) {
    const pid = readPid(join(pidDir, file));
    if (pid && isAlive(pid)) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
}

function tail(file: string): string {
  try { return tailText(readFileSync(file, 'utf8')); } catch { return ''; }
}

function tailText(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}
