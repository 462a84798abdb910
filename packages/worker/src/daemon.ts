/**
 * Background operation: `start` re-runs the CLI detached (`--foreground --daemon-child`, output
 * to `worker.log`), waits until the child reports over IPC that it attached (or failed, or is still
 * trying) and says which. `stop` signals the pid in `worker.pid` and waits for it to exit.
 */
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { WORKER_CONFIG_FILE } from './config.js';
import { claimPidFile } from 'mastro-protocol/pid-file';
import { runsStartFor } from 'mastro-protocol/process-identity';

export const PID_FILE = 'worker.pid';
export const LOG_FILE = 'worker.log';

export type DaemonMessage = { type: 'attached' } | { type: 'failed'; message: string; fatal: boolean };

export function readPid(basedir: string): number | null {
  const file = path.join(basedir, PID_FILE);
  if (!existsSync(file)) return null;
  const pid = parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Options of `mastro-worker start` that take a value (not the DIR when reading a worker's command line). */
const START_VALUED_OPTIONS = ['--wait'];

/** Whether `pid` is alive and is the worker of `basedir` (not a program that reused a stale pid). */
export function isWorkerOf(pid: number, basedir: string): boolean {
  return isAlive(pid) && runsStartFor(pid, basedir, START_VALUED_OPTIONS);
}

/**
 * Makes this process the worker of `basedir` by creating its pid file exclusively (of two starts,
 * one wins); a stale pid file is replaced, saying so. Returns a message for the user when a worker
 * of `basedir` is running, else null.
 */
export function writePidFile(basedir: string): string | null {
  const owner = claimPidFile(path.join(basedir, PID_FILE), {
    isOwner: (pid) => isWorkerOf(pid, basedir),
    onStale: (content) => process.stderr.write(`removed a stale pid file (pid ${content} ${isAlive(Number(content)) ? 'is now another program' : 'is not running'})\n`),
  });
  return owner === null ? null : `a worker is already running in ${basedir} (pid ${owner}); stop it first with: mastro-worker stop ${basedir}`;
}

export function removePidFile(basedir: string): void {
  if (readPid(basedir) === process.pid) rmSync(path.join(basedir, PID_FILE), { force: true });
}

/** Refuses to start twice; removes a stale pid file (saying so). Returns a message for the user or null. */
export function checkNotRunning(basedir: string): string | null {
  const pid = readPid(basedir);
  if (pid === null) return null;
  if (isWorkerOf(pid, basedir)) return `a worker is already running in ${basedir} (pid ${pid}); stop it first with: mastro-worker stop ${basedir}`;
  rmSync(path.join(basedir, PID_FILE), { force: true });
  process.stderr.write(`removed a stale pid file (pid ${pid} ${isAlive(pid) ? 'is now another program' : 'is not running'})\n`);
  return null;
}

export async function startDaemon(basedir: string, cliPath: string, extraArgs: string[], waitMs: number): Promise<number> {
  const logFd = openSync(path.join(basedir, LOG_FILE), 'a');
  const child = spawn(process.execPath, [cliPath, 'start', basedir, '--foreground', '--daemon-child', ...extraArgs], {
    detached: true, stdio: ['ignore', logFd, logFd, 'ipc'], cwd: basedir,
  });
  const outcome = await new Promise<DaemonMessage | { type: 'exited'; code: number | null } | { type: 'timeout' }>((resolve) => {
    const timer = setTimeout(() => resolve({ type: 'timeout' }), waitMs);
    child.on('message', (m: DaemonMessage) => { if (m.type === 'attached' || m.fatal) { clearTimeout(timer); resolve(m); } });
    child.on('exit', (code) => { clearTimeout(timer); resolve({ type: 'exited', code }); });
  });
  const logHint = `see ${path.join(basedir, LOG_FILE)}`;
  if (child.connected) child.disconnect();
  child.unref();
  switch (outcome.type) {
    case 'attached':
      console.log(`worker started (pid ${child.pid}) and connected to the master`);
      return 0;
    case 'failed':
      try { process.kill(child.pid!, 'SIGTERM'); } catch { /* gone */ }
      console.error(`worker failed to start: ${outcome.message}`);
      return 1;
    case 'exited':
      console.error(`worker exited during start-up (code ${outcome.code}); ${logHint}`);
      return 1;
    case 'timeout':
      console.log(`worker started (pid ${child.pid}) but has not connected to the master within ${waitMs / 1000} s; it keeps retrying — ${logHint}`);
      return 0;
  }
}

export async function stopDaemon(basedir: string, waitMs: number): Promise<number> {
  if (!existsSync(basedir)) { console.error(`worker directory ${basedir} does not exist`); return 1; }
  const pid = readPid(basedir);
  // Like buildbot-worker stop: a worker that is not running is not a failure (exit 0), a directory that is no worker is.
  if (pid === null) {
    if (!existsSync(path.join(basedir, WORKER_CONFIG_FILE))) { console.error(`${basedir} is not a worker directory (no ${WORKER_CONFIG_FILE}); check the path`); return 1; }
    console.log(`no worker is running in ${basedir} (no ${PID_FILE})`);
    return 0;
  }
  if (!isWorkerOf(pid, basedir)) {
    rmSync(path.join(basedir, PID_FILE), { force: true });
    console.log(`no worker is running in ${basedir}: pid ${pid} ${isAlive(pid) ? 'is now another program' : 'is gone'} (removed the stale ${PID_FILE})`);
    return 0;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) { console.log(`worker stopped (pid ${pid})`); return 0; }
    await new Promise((r) => setTimeout(r, 100));
  }
  console.error(`worker (pid ${pid}) is still running after ${waitMs / 1000} s (running commands finish first); run stop again to interrupt them`);
  return 1;
}
