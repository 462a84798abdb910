/**
 * Runs Debian's unmodified `buildbot-worker` 3.7 as a third-party peer for interop tests:
 * `create-worker --protocol=msgpack_experimental_v7` (or without `--protocol`, for PB), then `start --nodaemon` in its own process
 * group so cleanup can stop the worker and anything it spawned.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const BUILDBOT_WORKER = '/usr/bin/buildbot-worker';

export function buildbotWorkerInstalled(): boolean {
  return existsSync(BUILDBOT_WORKER);
}

export interface BuildbotWorkerProcess {
  basedir: string;
  child: ChildProcess;
  /** The worker's twistd.log so far (it logs every protocol message), for failure diagnostics. */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * `protocol: 'pb'` creates the worker without `--protocol`, as Buildbot users do: it then speaks PB.
 * `keepalive`: seconds between the worker's own keepalive calls (0: none). `allowShutdown`: how the
 * worker may be asked to shut down gracefully (SIGHUP, or touching its shutdown.stamp).
 */
export function createBuildbotWorker(basedir: string, master: string, name: string, password: string,
  options: { protocol?: 'pb' | 'msgpack_experimental_v7'; keepalive?: number; allowShutdown?: 'signal' | 'file' } = {}): void {
  const protocol = options.protocol ?? 'msgpack_experimental_v7';
  const args = ['create-worker', ...(protocol === 'pb' ? [] : [`--protocol=${protocol}`]), `--keepalive=${options.keepalive ?? 0}`,
    ...(options.allowShutdown ? [`--allow-shutdown=${options.allowShutdown}`] : []), basedir, master, name, password];
  const r = spawnSync(BUILDBOT_WORKER, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`buildbot-worker create-worker failed (${r.status}): ${r.stderr || r.stdout}`);
}

export function startBuildbotWorker(basedir: string): BuildbotWorkerProcess {
  const child = spawn(BUILDBOT_WORKER, ['start', '--nodaemon', basedir], { cwd: basedir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d));
  child.stderr!.on('data', (d: Buffer) => output.push(d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    basedir, child,
    log: async () => Buffer.concat(output).toString() + (await readFile(join(basedir, 'twistd.log'), 'utf8').catch(() => '')),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const group = -child.pid!;
      try { process.kill(group, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(group, 'SIGKILL'); } catch { /* gone */ } }, 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface BuildbotWorkerDaemon {
  /** Exit code and output of `buildbot-worker start DIR` (it returns once it judged the start-up). */
  code: number | null;
  output: string;
  /** `buildbot-worker stop DIR`, then SIGKILL to the pid in twistd.pid if it is still there. */
  stop(): Promise<void>;
}

/** Runs `buildbot-worker start DIR` in daemon mode (the way users start it) and waits for it to return. */
export async function startBuildbotWorkerDaemon(basedir: string): Promise<BuildbotWorkerDaemon> {
  const child = spawn(BUILDBOT_WORKER, ['start', basedir], { cwd: basedir, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d));
  child.stderr!.on('data', (d: Buffer) => output.push(d));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  const pidOf = async () => Number((await readFile(join(basedir, 'twistd.pid'), 'utf8').catch(() => '')).trim()) || null;
  return {
    code, output: Buffer.concat(output).toString() + (await readFile(join(basedir, 'twistd.log'), 'utf8').catch(() => '')),
    async stop() {
      const pid = await pidOf();
      const stopped = spawnSync(BUILDBOT_WORKER, ['stop', basedir], { stdio: 'ignore', timeout: 30_000 });
      if (stopped.status !== 0 && pid !== null) { try { process.kill(pid, 'SIGKILL'); } catch { /* stopped */ } }
    },
  };
}
