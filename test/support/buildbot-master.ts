// A throwaway, unmodified Debian Buildbot 3.7 master for interop tests.
//
// `startBuildbotMaster()` runs `buildbot create-master` in a temp dir, drops in the static
// master.cfg and harness_control.py from test/fixtures/buildbot-master/ (with the shared
// test/fixtures/buildbot-common/loopback_control.py it imports) plus a harness.json with
// this run's values, starts `buildbot start --nodaemon` as a child process and resolves once the
// master has written ready.json (the ports the kernel picked: no port guessing, no sleeps).
// The returned handle triggers builds (`buildbot sendchange` to the master's PBChangeSource), stops
// them (the fixture's loopback control endpoint, which calls the master's data API), reads results
// from the master's own state.sqlite (read-only), and stops the master and removes its files.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { copyMasterFiles } from './buildbot-basedir.js';
import { stopProcessGroup } from './process-tree.js';

export { stopProcessGroup };

const run = promisify(execFile);
const fixtureDir = new URL('../fixtures/buildbot-master/', import.meta.url).pathname;

/** Buildbot's result codes (buildbot/process/results.py), as stored in builds.results/steps.results. */
export const BuildbotResults = { SUCCESS: 0, WARNINGS: 1, FAILURE: 2, SKIPPED: 3, EXCEPTION: 4, RETRY: 5, CANCELLED: 6 } as const;

export interface BuildbotMasterOptions {
  /** The one worker the master accepts. */
  workerName: string;
  workerPassword: string;
  /** URL of the repository the `interop` builder's Git step checks out (e.g. file:///tmp/x/repo.git). */
  repoUrl: string;
  /** How long create-master plus start may take before the start is declared failed. Default 90 s. */
  startTimeoutMs?: number;
}

export interface BuildRow {
  id: number; number: number; builderid: number; results: number | null;
  state_string: string; complete_at: number | null;
}
export interface StepRow { id: number; number: number; name: string; results: number | null; state_string: string }

export interface ChangeOptions { project: 'interop' | 'failing' | 'sleeper'; repository: string; branch: string; revision?: string; files?: string[] }

export interface BuildbotMaster {
  /** The master's base directory (twistd.log and state.sqlite live there). */
  readonly dir: string;
  /** Port of the master's msgpack_experimental_v7 WebSocket listener (workers connect here). */
  readonly workerPort: number;
  /** Where the `interop` builder's FileUpload and DirectoryUpload write on the master. */
  readonly uploadDir: string;
  /** Where the `sleeper` builder's command writes shell.pid and child.pid. */
  readonly pidDir: string;
  /** Sends a change with `buildbot sendchange`; project `interop` builds, `failing` fails, `sleeper` sleeps. */
  sendChange(change: ChangeOptions): Promise<void>;
  /** Asks the master to stop a running build (the data API's `stop` control action). */
  stopBuild(buildid: number, reason?: string): Promise<void>;
  /** True when the master's database lists the worker as connected. */
  isWorkerConnected(workerName: string): boolean;
  /** What the worker answered to get_worker_info, as the master stored it (workers.info). */
  workerInfo(workerName: string): Record<string, unknown> | undefined;
  /** Builds of a builder, oldest first. */
  builds(builderName: string): BuildRow[];
  steps(buildid: number): StepRow[];
  /** Concatenated text of one step log (Buildbot's stdio logs prefix each line with o/e/h). */
  stepLog(stepid: number, slug: string): string;
  /** The last lines of twistd.log, for failure messages. */
  logTail(lines?: number): string;
  /** Stops the master (SIGTERM, then SIGKILL to its process group) and deletes its temp dir. */
  stop(): Promise<void>;
}

/** Null when the Debian `buildbot` master is installed, else why the interop test must skip. */
export async function buildbotMissingReason(): Promise<string | null> {
  try {
    const { stdout } = await run('buildbot', ['--version']);
    return /Buildbot version: 3\./.test(stdout) ? null : `expected Buildbot 3.x, found: ${stdout.trim()}`;
  } catch {
    return 'the `buildbot` command is not installed (apt-get install buildbot)';
  }
}

export async function startBuildbotMaster(options: BuildbotMasterOptions): Promise<BuildbotMaster> {
  const root = mkdtempSync(join(tmpdir(), 'mastro-bbmaster-'));
  const dir = join(root, 'master');
  const uploadDir = join(root, 'uploads');
  const pidDir = join(root, 'pids');
  mkdirSync(uploadDir);
  mkdirSync(pidDir);
  const change = { user: 'interop', password: 'interop-change-pw' };
  let child: ChildProcess | undefined;
  try {
    // -r: relocatable (relative db path); create-master also creates and upgrades state.sqlite.
    await run('buildbot', ['create-master', '-r', dir], { timeout: options.startTimeoutMs ?? 90_000 });
    copyMasterFiles(fixtureDir, ['master.cfg', 'harness_control.py'], dir);
    writeFileSync(join(dir, 'harness.json'), JSON.stringify({
      workerName: options.workerName, workerPassword: options.workerPassword,
      changeUser: change.user, changePassword: change.password,
      repoUrl: options.repoUrl, uploadDir, pidDir,
    }));
    // Detached: the master leads its own process group, so cleanup can reach anything it spawned.
    child = spawn('buildbot', ['start', '--nodaemon', dir], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const ready = await waitForReadyFile(child, dir, options.startTimeoutMs ?? 90_000);
    return makeHandle({ root, dir, uploadDir, pidDir, child, ready, change });
  } catch (err) {
    if (child) await stopProcessGroup(child, 10_000);
    const tail = tailFile(join(dir, 'twistd.log'), 40);
    rmSync(root, { recursive: true, force: true });
    throw new Error(`Buildbot master did not start: ${(err as Error).message}\n--- twistd.log ---\n${tail}`);
  }
}

interface Ready { workerPort: number; changePort: number; controlPort: number; pid: number }

async function waitForReadyFile(child: ChildProcess, dir: string, timeoutMs: number): Promise<Ready> {
  let output = '';
  child.stdout?.on('data', (d) => { output += d; });
  child.stderr?.on('data', (d) => { output += d; });
  const file = join(dir, 'ready.json');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`buildbot exited (${child.exitCode ?? child.signalCode}) before it was ready; output: ${output.trim()}`);
    }
    // harness_control.py writes ready.json atomically (rename), so a file that exists is complete.
    if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Ready;
    await delay(50);
  }
  throw new Error(`no ready.json after ${timeoutMs} ms; output: ${output.trim()}`);
}

function makeHandle(p: {
  root: string; dir: string; uploadDir: string; pidDir: string; child: ChildProcess; ready: Ready;
  change: { user: string; password: string };
}): BuildbotMaster {
  // Opened lazily and read-only; the busy timeout rides over the master's short write locks.
  let db: Database.Database | undefined;
  const conn = () => (db ??= new Database(join(p.dir, 'state.sqlite'), { readonly: true, fileMustExist: true, timeout: 5_000 }));
  let stopped = false;

  return {
    dir: p.dir,
    workerPort: p.ready.workerPort,
    uploadDir: p.uploadDir,
    pidDir: p.pidDir,

    async sendChange(change) {
      const args = ['sendchange', '--master', `127.0.0.1:${p.ready.changePort}`, '--auth', `${p.change.user}:${p.change.password}`,
        '--who', 'mastro interop test', '--project', change.project, '--repository', change.repository,
        '--branch', change.branch, '--comments', `interop ${change.project}`];
      if (change.revision) args.push('--revision', change.revision);
      args.push(...(change.files ?? ['README.md']));
      const { stdout, stderr } = await run('buildbot', args, { timeout: 30_000 });
      if (!/change sent successfully/i.test(stdout)) {
        throw new Error(`buildbot sendchange did not confirm the change: ${stdout}${stderr}`);
      }
    },

    async stopBuild(buildid, reason = 'stopped by the mastro interop test') {
      const url = `http://127.0.0.1:${p.ready.controlPort}/stop?buildid=${buildid}&reason=${encodeURIComponent(reason)}`;
      const res = await fetch(url, { method: 'POST' });
      if (!res.ok) throw new Error(`stopping build ${buildid} failed: HTTP ${res.status} ${await res.text()}`);
    },

    isWorkerConnected(workerName) {
      const row = conn().prepare(
        'SELECT 1 FROM connected_workers cw JOIN workers w ON w.id = cw.workerid WHERE w.name = ?').get(workerName);
      return row !== undefined;
    },

    workerInfo(workerName) {
      const row = conn().prepare('SELECT info FROM workers WHERE name = ?').get(workerName) as { info: string } | undefined;
      return row ? JSON.parse(row.info) as Record<string, unknown> : undefined;
    },

    builds(builderName) {
      return conn().prepare(
        `SELECT b.id, b.number, b.builderid, b.results, b.state_string, b.complete_at
           FROM builds b JOIN builders r ON r.id = b.builderid WHERE r.name = ? ORDER BY b.id`).all(builderName) as BuildRow[];
    },

    steps(buildid) {
      return conn().prepare(
        'SELECT id, number, name, results, state_string FROM steps WHERE buildid = ? ORDER BY number').all(buildid) as StepRow[];
    },

    stepLog(stepid, slug) {
      // The fixture sets logCompressionMethod = 'raw', so content is plain text.
      const rows = conn().prepare(
        `SELECT c.content FROM logchunks c JOIN logs l ON l.id = c.logid
          WHERE l.stepid = ? AND l.slug = ? ORDER BY c.first_line`).all(stepid, slug) as { content: Buffer | string }[];
      return rows.map((r) => r.content.toString()).join('\n');
    },

    logTail(lines = 40) {
      return tailFile(join(p.dir, 'twistd.log'), lines);
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      db?.close();
      await stopProcessGroup(p.child, 20_000);
      rmSync(p.root, { recursive: true, force: true });
    },
  };
}

function tailFile(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return `(no ${file})`;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
