/** The daemon's pid file (`DIR/mastro.pid`) and checks on the process it names. */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { claimPidFile } from 'mastro-protocol/pid-file';
import { runsStartFor } from 'mastro-protocol/process-identity';
import { CliError } from './io.js';

export const PID_FILE = 'mastro.pid';
export const LOG_FILE = 'mastro.log';
export const RECONFIG_STATUS_FILE = 'reconfig.status';

export function pidPath(dir: string): string { return join(dir, PID_FILE); }

export function isAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Options of `mastro start` that take a value (not the DIR when reading a master's command line). */
const START_VALUED_OPTIONS = ['--timeout'];

/**
 * The pid of a running master of `dir`, or null. A stale pid file (its process gone, or the pid
 * since reused by a process that is not this directory's master) is removed, and `note` is told why.
 */
export function runningPid(dir: string, note?: (message: string) => void): number | null {
  let text: string;
  try { text = readFileSync(pidPath(dir), 'utf8'); } catch { return null; }
  const pid = Number(text.trim());
  if (isMasterOf(pid, dir)) return pid;
  note?.(staleNote(dir, text.trim()));
  rmSync(pidPath(dir), { force: true });
  return null;
}

function isMasterOf(pid: number, dir: string): boolean {
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) && runsStartFor(pid, dir, START_VALUED_OPTIONS);
}

function staleNote(dir: string, content: string): string {
  const pid = Number(content);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid)
    ? `removed the stale pid file ${pidPath(dir)}: pid ${pid} is now another program, not this directory's master`
    : `removed the stale pid file ${pidPath(dir)}: no process has pid ${content} (the master did not stop cleanly)`;
}

/**
 * Makes this process the master of `dir` by creating its pid file exclusively (of two starts, one
 * wins); a stale pid file is replaced (`note` is told). Throws when a master of `dir` is running.
 */
export function writePid(dir: string, note?: (message: string) => void): void {
  const owner = claimPidFile(pidPath(dir), { isOwner: (pid) => isMasterOf(pid, dir), onStale: (content) => note?.(staleNote(dir, content)) });
  if (owner !== null) throw new CliError(`a master is already running in ${dir} (pid ${owner}); use 'mastro stop ${dir}' first`);
}

/** Removes the pid file if it is still ours. */
export function removePid(dir: string): void {
  try {
    if (Number(readFileSync(pidPath(dir), 'utf8').trim()) === process.pid) rmSync(pidPath(dir), { force: true });
  } catch { /* already gone */ }
}

/** Waits until `pid` has exited, checking every `everyMs`; false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return true;
}
