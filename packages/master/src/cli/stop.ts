/**
 * `mastro stop DIR [--timeout S]`: asks the master to stop gracefully (SIGTERM: running builds get
 * the config's grace period, then stop as RETRY and run again after a restart) and waits for it.
 */
import { resolve } from 'node:path';
import { CliError, parse, println, seconds, UsageError, type Io } from './io.js';
import { runningPid, waitForExit } from './pidfile.js';

export const USAGE = 'mastro stop DIR [--timeout SECONDS]';
/** Default wait: the default grace period (300 s) plus time to close everything. */
export const DEFAULT_STOP_TIMEOUT_S = 360;

/** Returns false when no master was running. */
export async function stopMaster(dir: string, timeoutS: number, io: Io): Promise<boolean> {
  const pid = runningPid(dir);
  if (pid === null) return false;
  process.kill(pid, 'SIGTERM');
  println(io.stdout, `stopping the master (pid ${pid}); running builds get their grace period...`);
  if (!(await waitForExit(pid, timeoutS * 1000))) {
    throw new CliError(`the master (pid ${pid}) is still stopping after ${timeoutS}s; wait longer (--timeout), check the log, or force it with 'kill -9 ${pid}' (running builds then end RETRY at the next start)`);
  }
  println(io.stdout, 'master stopped');
  return true;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(argv, { timeout: { type: 'string' } }, 1);
  if (!positionals[0]) throw new UsageError('stop needs a master directory');
  const dir = resolve(positionals[0]);
  if (!(await stopMaster(dir, seconds(values.timeout, DEFAULT_STOP_TIMEOUT_S, 'timeout'), io))) println(io.stdout, `no master is running in ${dir}`);
  return 0;
}
