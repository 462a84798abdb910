/**
 * A Buildbot 3.7 master (Debian's `buildbot`) and `buildbot-worker` processes for --vs-buildbot.
 * Same approach as test/support/buildbot-master.ts (create-master in a temp dir, static master.cfg
 * plus harness.json, `buildbot start --nodaemon`, wait for ready.json), with the benchmark's
 * builders and the bench_control.py service (change hook, counters, raw log reads), which shares
 * its loopback port and ready.json code with the interop test (test/fixtures/buildbot-common/).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import http from 'node:http';
import { copyMasterFiles } from '../../test/support/buildbot-basedir.js';
import { httpChangeSink, type ChangeSink } from './changes.js';
import { memoryOf, stopGroup, waitUntil, type MemoryReading } from './proc.js';

const run = promisify(execFile);
const fixtureDir = new URL('./buildbot/', import.meta.url).pathname;

export interface BuildbotStats {
  started: number; finished: number; results: Record<string, number>; lastBuildid: number | null;
  lastStartedAt: number | null; lastFinishedAt: number | null;
}

export interface BuildbotBench {
  readonly pid: number;
  readonly workerPort: number;
  readonly changes: ChangeSink;
  stats(): Promise<BuildbotStats>;
  memory(): MemoryReading;
  /** Starts Debian's buildbot-worker processes (msgpack protocol) and waits until all attached. */
  startWorkers(names: string[]): Promise<void>;
  waitFinished(count: number, timeoutMs: number): Promise<BuildbotStats>;
  stdioLogid(buildid: number): Promise<number>;
  /** Reads the log through the data API's raw endpoint; returns the byte count. */
  readRaw(logid: number): Promise<number>;
  stop(): Promise<void>;
}

/** Null when Debian's buildbot and buildbot-worker 3.x are installed, else why the Buildbot side cannot run. */
export async function buildbotMissing(): Promise<string | null> {
  try {
    const { stdout } = await run('buildbot', ['--version']);
    if (!/Buildbot version: 3\./.test(stdout)) return `expected Buildbot 3.x, found: ${stdout.trim()}`;
    await run('buildbot-worker', ['--version']);
    return null;
  } catch {
    return 'buildbot and buildbot-worker are not both installed (apt-get install buildbot buildbot-worker)';
  }
}

export async function startBuildbotBench(root: string, o: { workers: string[]; maxBuilds: number; logCommand: string[] }): Promise<BuildbotBench> {
  const missing = await buildbotMissing();
  if (missing) throw new Error(missing);
  const dir = join(root, 'bb-master');
  const password = 'bench-pw';
  mkdirSync(root, { recursive: true });
  await run('buildbot', ['create-master', '-r', dir], { timeout: 120_000 });
  copyMasterFiles(fixtureDir, ['master.cfg', 'bench_control.py'], dir);
  writeFileSync(join(dir, 'harness.json'), JSON.stringify({ workers: o.workers, password, maxBuilds: o.maxBuilds, logCommand: o.logCommand }));
  const master = spawn('buildbot', ['start', '--nodaemon', dir], { detached: true, stdio: ['ignore', 'ignore', 'ignore'] });
  const children: ChildProcess[] = [master];
  const stopAll = async () => { for (const c of children.reverse()) await stopGroup(c, 15_000); };
  let ready: { workerPort: number; controlPort: number; pid: number };
  try {
    ready = await waitUntil(() => {
      if (master.exitCode !== null) throw new Error(`buildbot exited (${master.exitCode}); see ${join(dir, 'twistd.log')}`);
      const f = join(dir, 'ready.json');
      return existsSync(f) ? JSON.parse(readFileSync(f, 'utf8')) : undefined;
    }, 120_000, 'the Buildbot master to start', 50);
  } catch (err) {
    await stopAll();
    throw err;
  }
  const base = `http://127.0.0.1:${ready.controlPort}`;
  const stats = async () => (await (await fetch(`${base}/stats`)).json()) as BuildbotStats;
  const changes = httpChangeSink(ready.controlPort, 8);
  return {
    pid: ready.pid,
    workerPort: ready.workerPort,
    changes: { ...changes, method: `HTTP POST /change_hook/base served by Buildbot's ChangeHookResource (base dialect) on a loopback port` },
    stats,
    memory: () => memoryOf(ready.pid),
    async startWorkers(names) {
      for (const name of names) {
        const wdir = join(root, `bb-${name}`);
        mkdirSync(wdir, { recursive: true });
        await run('buildbot-worker', ['create-worker', '--protocol=msgpack_experimental_v7', wdir, `127.0.0.1:${ready.workerPort}`, name, password], { timeout: 60_000 });
        children.push(spawn('buildbot-worker', ['start', '--nodaemon', wdir], { detached: true, stdio: ['ignore', 'ignore', 'ignore'] }));
      }
      // Attached = the master's connected_workers table lists them all (the fixture's db, read-only via sqlite3 CLI is not needed: a build can only start on an attached worker).
      const { default: Database } = await import('better-sqlite3');
      const db = new Database(join(dir, 'state.sqlite'), { readonly: true, fileMustExist: true, timeout: 5000 });
      try {
        await waitUntil(() => (db.prepare('SELECT count(*) AS n FROM connected_workers').get() as { n: number }).n === names.length, 60_000, 'the Buildbot workers to attach', 100);
      } finally { db.close(); }
    },
    waitFinished: (count, timeoutMs) => waitUntil(async () => { const s = await stats(); return s.finished >= count ? s : undefined; }, timeoutMs, `${count} Buildbot builds to finish`, 20),
    async stdioLogid(buildid) {
      const r = await (await fetch(`${base}/stdio?buildid=${buildid}`)).json() as { logid: number | null };
      if (r.logid == null) throw new Error(`Buildbot build ${buildid} has no stdio log`);
      return r.logid;
    },
    readRaw: (logid) => new Promise<number>((resolve, reject) => {
      http.get(`${base}/raw?logid=${logid}`, (res) => {
        let n = 0;
        res.on('data', (d: Buffer) => { n += d.length; });
        res.on('end', () => (res.statusCode === 200 ? resolve(n) : reject(new Error(`raw read answered HTTP ${res.statusCode}`))));
      }).on('error', reject);
    }),
    async stop() { changes.close(); await stopAll(); },
  };
}
