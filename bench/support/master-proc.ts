/**
 * Parent side of master-child.mjs: writes a master directory, starts the master in a child process
 * and talks to it over IPC. The child is compiled JavaScript (packages/master/dist) under plain
 * `node` with no extra V8 flags, as `mastro start` runs it, so memory and CPU are the shipped
 * artifact's. It runs with `mastro start`'s defaults: the master's own logger at `info` (so HTTP
 * requests are logged, as shipped) writing JSON lines to `mastro.log` in the master directory (the
 * child's stdout, as the daemon's), SQLite group commit on. The child is detached (own process
 * group) so a stop reaches anything it spawned; its stderr is kept (last 64 KiB) and the log's tail
 * is read for error messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { masterConfigSource, type BenchMasterConfig } from './configs.js';
import { memoryOf, profileFlags, stopGroup, type MemoryReading } from './proc.js';

const repoRoot = new URL('../../', import.meta.url).pathname;
const childEntry = new URL('./master-child.mjs', import.meta.url).pathname;

/** True once the master has an HTTP layer (src/www); until then scenarios fall back to IPC. */
export function masterHasWww(): boolean {
  return existsSync(join(repoRoot, 'packages/master/dist/www/index.js'));
}

export function writeMasterDir(dir: string, configSource: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'master.config.js'), configSource);
  return dir;
}

/** Writes `<root>/master` with the master.config.js for `config`; returns that directory. */
export function writeBenchMaster(root: string, config: BenchMasterConfig): string {
  return writeMasterDir(join(root, 'master'), masterConfigSource(config));
}

export interface MasterReady { workerPort: number; httpPort: number | null; readyAt: number; spawnedAt: number; rssKiB: number }

export interface MasterProc {
  readonly pid: number;
  readonly ready: MasterReady;
  request<T = unknown>(cmd: string, args?: unknown): Promise<T>;
  memory(): MemoryReading;
  /** Graceful master stop through IPC, then the process group goes. */
  stop(): Promise<void>;
  /** The child's stderr and the end of its mastro.log, for error messages. */
  stderrTail(): string;
}

export async function startMasterProc(dir: string, opts: { startTimeoutMs?: number; exposeGc?: boolean; tag?: string } = {}): Promise<MasterProc> {
  const spawnedAt = performance.timeOrigin + performance.now();
  const args = [...(opts.exposeGc ? ['--expose-gc'] : []), ...profileFlags(opts.tag ?? 'master'), childEntry, dir];
  const logFile = join(dir, LOG_FILE);
  const logFd = openSync(logFile, 'a');
  // The shipped log level and buffer, whatever the shell running the bench set.
  const { MASTRO_LOG_LEVEL: _level, MASTRO_LOG_BUFFER_SIZE: _buffer, ...env } = process.env;
  const child = spawn(process.execPath, args, {
    cwd: repoRoot, detached: true, stdio: ['ignore', logFd, 'pipe', 'ipc'],
    env: { ...env, BENCH_SPAWNED_AT: String(spawnedAt) },
  });
  closeSync(logFd);
  let stderrText = '';
  child.stderr!.on('data', (d: Buffer) => { stderrText = (stderrText + d.toString()).slice(-65536); });
  const tail = () => `${stderrText.trim().slice(-2000)}\n--- last lines of ${logFile}:\n${fileTail(logFile, 3000)}`;
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let readyResolve!: (r: MasterReady) => void;
  let readyReject!: (e: Error) => void;
  const readyP = new Promise<MasterReady>((res, rej) => { readyResolve = res; readyReject = rej; });
  child.on('message', (msg: any) => {
    if (msg.ready) { readyResolve(msg.ready); return; }
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`master child: ${msg.error}`)); else p.resolve(msg.value);
  });
  child.on('exit', (code, signal) => {
    const err = new Error(`master child exited (${code ?? signal}); stderr: ${tail()}`);
    readyReject(err);
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  });
  const timeout = setTimeout(() => readyReject(new Error(`master did not start within ${opts.startTimeoutMs ?? 60_000} ms; stderr: ${tail()}`)), opts.startTimeoutMs ?? 60_000);
  let ready: MasterReady;
  try {
    ready = await readyP;
  } catch (err) {
    await stopGroup(child, 2000);
    throw err;
  } finally {
    clearTimeout(timeout);
  }
  return makeHandle(child, ready, pending, () => nextId++, tail);
}

/** `mastro start` sends the daemon's output here (cli/pidfile.ts LOG_FILE). */
const LOG_FILE = 'mastro.log';

/** The last `bytes` of a file, or '' when it cannot be read. */
function fileTail(file: string, bytes: number): string {
  try {
    const size = statSync(file).size;
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(Math.min(bytes, size));
      readSync(fd, buf, 0, buf.length, size - buf.length);
      return buf.toString('utf8');
    } finally { closeSync(fd); }
  } catch { return ''; }
}

function makeHandle(child: ChildProcess, ready: MasterReady, pending: Map<number, any>, id: () => number, tail: () => string): MasterProc {
  let stopped = false;
  const request = <T>(cmd: string, args?: unknown) => new Promise<T>((resolve, reject) => {
    if (!child.connected) { reject(new Error(`master child is gone; stderr: ${tail().slice(-2000)}`)); return; }
    const n = id();
    pending.set(n, { resolve, reject });
    child.send({ id: n, cmd, args });
  });
  return {
    pid: child.pid!,
    ready,
    request,
    memory: () => memoryOf(child.pid!),
    stderrTail: tail,
    async stop() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
      await Promise.race([request('stop').catch(() => {}), new Promise((r) => setTimeout(r, 15_000).unref())]);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
      await stopGroup(child, 2000);
    },
  };
}
