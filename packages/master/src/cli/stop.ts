/**
 * `mastro stop DIR [--timeout S]`: asks the master to stop gracefully (SIGTERM: running builds get
 * the config's grace period, then stop as RETRY and run again after a restart) and waits for it.
 */
import { existsSync } from 'node:fs';
import { findConfigFile } from '../config/load.js';
import { CliError, masterDirArg, parse, println, seconds, type Io } from './io.js';
import { pidPath, runningPid, waitForExit } from './pidfile.js';

/** Default wait: the default grace period (300 s) plus time to close everything. */
export const DEFAULT_STOP_TIMEOUT_S = 360;

/** Returns false when no master was running. */
export async function stopMaster(dir: string, timeoutS: number, io: Io): Promise<boolean> {
  const pid = runningPid(dir, (note) => println(io.stderr, note));
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
  const dir = masterDirArg(positionals[0], 'stop');
  // Like `buildbot stop`: a directory that is not a master is a mistake (exit 1), a master that is not running is not.
  if (!existsSync(pidPath(dir)) && !findConfigFile(dir)) {
    throw new CliError(`${dir} is not a master directory (no config file, no pid file); check the path`);
  }
  if (!(await stopMaster(dir, seconds(values.timeout, DEFAULT_STOP_TIMEOUT_S, 'timeout'), io))) println(io.stdout, `no master is running in ${dir}`);
  return 0;
}
