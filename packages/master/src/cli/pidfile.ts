/** The daemon's pid file (`DIR/mastro.pid`) and checks on the process it names. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runsStartFor } from 'mastro-protocol/process-identity';

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
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    if (runsStartFor(pid, dir, START_VALUED_OPTIONS)) return pid;
    note?.(`removed the stale pid file ${pidPath(dir)}: pid ${pid} is now another program, not this directory's master`);
  } else {
    note?.(`removed the stale pid file ${pidPath(dir)}: no process has pid ${text.trim()} (the master did not stop cleanly)`);
  }
  rmSync(pidPath(dir), { force: true });
  return null;
}

export function writePid(dir: string): void { writeFileSync(pidPath(dir), `${process.pid}\n`); }

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
