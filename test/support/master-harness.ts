/**
 * End-to-end helpers: a master directory with a config, a real master process (master-child.ts)
 * talked to over IPC, real worker processes (mastro-worker or Debian's buildbot-worker), and a
 * git repository. Everything lives in one temp dir removed by `cleanup()`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killTree } from './process-tree.js';
import { configSource, type ConfigFunction, type ConfigHelpers, type ConfigValues } from './config.js';

export const ROOT = new URL('../../', import.meta.url).pathname;
export const WORKER_CLI = join(ROOT, 'packages/worker/dist/cli.js');
const CHILD = join(ROOT, 'test/support/master-child.ts');

export function hasBuildbotWorker(): boolean {
  try { execFileSync('buildbot-worker', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; }
}

export interface ReadyInfo { pid: number; masterid: number; workerPort: number; httpPort: number | null; monitoringPort?: number | null }

export class MasterProcess {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private collected = '';
  /** Set when the output goes to a file (`startLoggingToFile`). */
  private logFile: string | null = null;

  private constructor(readonly proc: ChildProcess, readonly ready: ReadyInfo) {
    this.exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
    proc.on('message', (m: any) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error) w.reject(new Error(m.error)); else w.resolve(m.result);
    });
  }

  /** What the master printed so far (its pino log lines). */
  get output(): string {
    if (this.logFile === null) return this.collected;
    try { return readFileSync(this.logFile, 'utf8'); } catch { return ''; }
  }

  set output(v: string) { this.collected = v; }

  /**
   * Starts the master with its output appended to `DIR/mastro.log`, as `mastro start` runs it (so
   * the master writes its log to the master directory's disk); resolves once it reported ready.
   */
  static startLoggingToFile(dir: string, env: Record<string, string> = {}): Promise<MasterProcess> {
    const logFile = join(dir, 'mastro.log');
    const fd = openSync(logFile, 'a');
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], {
      cwd: ROOT, stdio: ['ignore', fd, fd, 'ipc'], env: { ...process.env, MASTRO_LOG_LEVEL: 'info', ...env },
    });
    closeSync(fd);
    return new Promise((resolve, reject) => {
      const onMessage = (m: any) => {
        if (m?.op !== 'ready') return;
        proc.off('message', onMessage);
        const mp = new MasterProcess(proc, m.ready);
        mp.logFile = logFile;
        resolve(mp);
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => reject(new Error(`master exited with ${code} before it was ready; see ${logFile}`)));
    });
  }

  /** Starts the master and resolves once it printed its ready line. */
  static start(dir: string, env: Record<string, string> = {}): Promise<MasterProcess> {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dir], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, MASTRO_LOG_LEVEL: 'info', ...env },
    });
    let out = '';
    return new Promise((resolve, reject) => {
      const onData = (d: Buffer) => {
        out += d.toString();
        const m = /MASTRO_READY (\{.*\})/.exec(out);
        if (m) {
          proc.stdout!.off('data', onData);
          const mp = new MasterProcess(proc, JSON.parse(m[1]));
          mp.output = out;
          proc.stdout!.on('data', (x: Buffer) => { mp.output += x.toString(); });
          resolve(mp);
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
      proc.once('exit', (code) => reject(new Error(`master exited with ${code} before it was ready:\n${out}`)));
    });
  }

  call<T = any>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.proc.send({ id, op, ...args });
    });
  }

  async get(path: Array<string | number>): Promise<any[]> {
    const r = await this.call('get', { path });
    return r.kind === 'collection' ? r.items : [r.item];
  }

  submit(builderNames: string[], extra: Record<string, unknown> = {}): Promise<{ bsid: number; brids: Record<string, number> }> {
    return this.call('submit', { builderNames, ...extra });
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<unknown> {
    this.proc.kill(signal);
    return this.exited;
  }
}

/** Polls `pred` until true (a deadline, not a sleep-for-luck). */
export async function waitUntil<T>(pred: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export class TestEnv {
  readonly root = mkdtempSync(join(tmpdir(), 'mastro-e2e-'));
  readonly masterDir = join(this.root, 'master');
  private readonly procs = new Set<ChildProcess>();
  private readonly masters = new Set<MasterProcess>();
  /** Run by `cleanup()` once the processes are gone and before the files are removed (e.g. unmount a tmpfs). */
  readonly beforeRemove: Array<() => void> = [];

  constructor() { mkdirSync(this.masterDir); }

  /** Writes master.config.ts: its text, or (typed) a config function and its values (support/config.ts). */
  writeConfig(source: string): void;
  writeConfig<V extends ConfigValues>(values: V, build: ConfigFunction<V>, helpers?: ConfigHelpers): void;
  writeConfig<V extends ConfigValues>(sourceOrValues: string | V, build?: ConfigFunction<V>, helpers?: ConfigHelpers): void {
    const source = typeof sourceOrValues === 'string' ? sourceOrValues : configSource(sourceOrValues, build!, helpers);
    writeFileSync(join(this.masterDir, 'master.config.ts'), source);
  }

  /** `logToFile`: the master's output goes to DIR/mastro.log, as under `mastro start` (see MasterProcess.startLoggingToFile). */
  async startMaster(env: Record<string, string> = {}, opts: { logToFile?: boolean } = {}): Promise<MasterProcess> {
    const m = await (opts.logToFile ? MasterProcess.startLoggingToFile(this.masterDir, env) : MasterProcess.start(this.masterDir, env));
    this.masters.add(m);
    this.procs.add(m.proc);
    return m;
  }

  /** Creates and starts a mastro-worker (or Debian buildbot-worker) connected to `port`. */
  /** `buildbot-worker-pb`: Debian's buildbot-worker created without `--protocol`, so it speaks PB. */
  startWorker(name: string, port: number, kind: 'mastro-worker' | 'buildbot-worker' | 'buildbot-worker-pb' = 'mastro-worker', password = 'pass'): ChildProcess {
    const dir = join(this.root, `worker-${name}`);
    let proc: ChildProcess;
    if (kind === 'mastro-worker') {
      if (!existsSync(dir)) execFileSync(process.execPath, [WORKER_CLI, 'create-worker', dir, `127.0.0.1:${port}`, name, password]);
      proc = spawn(process.execPath, [WORKER_CLI, 'start', dir, '--foreground'], { stdio: ['ignore', 'ignore', 'pipe'] });
    } else {
      const protocol = kind === 'buildbot-worker' ? ['--protocol=msgpack_experimental_v7'] : [];
      if (!existsSync(dir)) execFileSync('buildbot-worker', ['create-worker', ...protocol, dir, `127.0.0.1:${port}`, name, password], { stdio: 'ignore' });
      proc = spawn('buildbot-worker', ['start', '--nodaemon', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    }
    this.procs.add(proc);
    return proc;
  }

  workerDir(name: string): string { return join(this.root, `worker-${name}`); }

  git(cwd: string, ...args: string[]): string {
    return execFileSync('git', args, {
      cwd, encoding: 'utf8',
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' },
    }).trim();
  }

  /** A git repository with one commit (a Makefile-free `test.sh`). Returns [path, revision]. */
  makeRepo(files: Record<string, string> = { 'test.sh': 'echo tests pass\n' }): [string, string] {
    const repo = join(this.root, 'repo');
    mkdirSync(repo, { recursive: true });
    this.git(repo, 'init', '-q', '-b', 'main');
    for (const [f, c] of Object.entries(files)) writeFileSync(join(repo, f), c);
    this.git(repo, 'add', '.');
    this.git(repo, 'commit', '-q', '-m', 'first');
    return [repo, this.git(repo, 'rev-parse', 'HEAD')];
  }

  async cleanup(): Promise<void> {
    for (const p of this.procs) {
      if (p.exitCode === null && p.signalCode === null) {
        const gone = new Promise((r) => p.once('exit', r));
        if (p.pid) killTree(p.pid); else p.kill('SIGKILL');
        await gone;
      }
    }
    for (const f of this.beforeRemove) f();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The database URL for a test: SQLite in the master dir, or a fresh PostgreSQL schema. */
export function dbUrl(engine: 'sqlite' | 'postgresql'): string | null {
  if (engine === 'sqlite') return 'sqlite:state.sqlite';
  return process.env.MASTRO_TEST_PG_URL ?? null;
}

/** A fresh PostgreSQL database on the MASTRO_TEST_PG_URL server, or on `base` (dropped by `drop()`); null when neither is set. */
export async function freshPgDatabase(base = process.env.MASTRO_TEST_PG_URL, prefix = 'mastro_e2e'): Promise<{ url: string; drop(): Promise<void> } | null> {
  if (!base) return null;
  const { default: pg } = await import('pg');
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(base);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A port that was free a moment ago (for a master that must come back on the same port after a restart). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A config whose builder `slow` runs one shell step that announces itself (a file per build
 * number in `markDir`) and then waits until `releaseFile` exists: tests decide when builds end.
 */
export function gatedConfig(o: { dbUrl: string; workerPort: number; markDir: string; releaseFile: string; workers?: string[]; stopGracePeriod?: number }): string {
  const workers = o.workers ?? ['w0'];
  const script = `touch ${o.markDir}/started-$BUILD; while [ ! -f ${o.releaseFile} ]; do sleep 0.05; done; echo released`;
  return `import { defineConfig, worker, builder, steps, util } from 'mastro';
export default defineConfig({
  db: { url: ${JSON.stringify(o.dbUrl)} },
  protocols: { msgpack: { port: ${o.workerPort} } },
  www: null,
  stopGracePeriod: ${o.stopGracePeriod ?? 300},
  workers: [${workers.map((w) => `worker(${JSON.stringify(w)}, 'pass')`).join(', ')}],
  builders: [
    builder({ name: 'slow', workerNames: ${JSON.stringify(workers)}, collapseRequests: false, steps: [
      steps.shell({ name: 'wait', command: ['sh', '-c', ${JSON.stringify(script)}], env: { BUILD: util.Interpolate('%(prop:buildnumber)s') } }),
    ] }),
  ],
});
`;
}
