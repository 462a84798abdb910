/**
 * `mastro start DIR [--foreground] [--timeout S]`.
 *
 * Foreground: runs the master in this process, writes `DIR/mastro.pid`, stops gracefully on
 * SIGTERM/SIGINT and reconfigures on SIGHUP, writing each reconfig outcome to
 * `DIR/reconfig.status` (JSON `{ok, issues, at, pid}`) for `mastro reconfig` to read.
 *
 * Daemon (default): starts the same command with --foreground as a detached child whose output goes
 * to `DIR/mastro.log`, and waits until the child reports (over an IPC channel) that the master is
 * listening or failed to start; then prints the addresses and returns.
 */
import { spawn } from 'node:child_process';
import { openSync, closeSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { type ConfigError, formatIssueAt } from '../model/config-errors.js';
import { ErrorCodes, hasErrorCode } from '../errors/catalog.js';
import { describeListenError } from './listen-errors.js';
import { CliError, masterDirArg, parse, println, seconds, type Io } from './io.js';
import { LOG_FILE, RECONFIG_STATUS_FILE, pidPath, removePid, runningPid, writePid } from './pidfile.js';

interface ReadyInfo { pid: number; httpPort: number | null; workerPort: number; dir: string }
type ChildMessage = { type: 'ready'; info: ReadyInfo } | { type: 'failed'; message: string };

export function describeReady(info: ReadyInfo): string[] {
  const lines = [`master running (pid ${info.pid}) in ${info.dir}`];
  if (info.httpPort !== null) lines.push(`  web UI and API: http://localhost:${info.httpPort}/  (REST: http://localhost:${info.httpPort}/api/v2)`);
  lines.push(`  workers connect to: localhost:${info.workerPort}`);
  return lines;
}

function errorText(err: unknown): string {
  if (hasErrorCode(err, ErrorCodes.CONFIG_INVALID)) {
    const issues = (err as ConfigError).issues ?? [];
    return `the config has ${issues.length} error(s):\n${issues.map((i) => `  ${formatIssueAt(i)}`).join('\n')}`;
  }
  const e = err as NodeJS.ErrnoException;
  return e?.message ?? String(err);
}

/** Writes the reconfig outcome atomically (a reader never sees half a file). */
function writeReconfigStatus(dir: string, status: Record<string, unknown>): void {
  const tmp = join(dir, `.${RECONFIG_STATUS_FILE}.${process.pid}`);
  writeFileSync(tmp, JSON.stringify(status) + '\n');
  renameSync(tmp, join(dir, RECONFIG_STATUS_FILE));
}

/** Set by the daemon parent for its child: the log file the child writes (and rotates) itself. */
const DAEMON_LOG_ENV = 'MASTRO_DAEMON_LOG_FILE';

export async function runForeground(dir: string, io: Io): Promise<number> {
  // The daemon parent gets one message, then the channel is closed (an open one would keep this process alive).
  const send = (m: ChildMessage) => { if (process.send) { process.send(m); process.disconnect?.(); } };
  const logFile = process.env[DAEMON_LOG_ENV];
  delete process.env[DAEMON_LOG_ENV]; // not for the programs the master runs
  const { createMasterLog } = await import('../master/logger.js');
  const log = createMasterLog({ file: logFile, tty: !logFile && !!(process.stdout as { isTTY?: boolean }).isTTY });
  if (log.file) {
    // Node prints a crash to standard error, which is the file as it was at start (rotated away since, maybe).
    process.on('uncaughtExceptionMonitor', (err) => { log.logger.fatal({ err }, 'uncaught exception; the master exits'); log.destination.flushSync(); });
  }
  try {
    // A daemon's notes go into its log as JSON lines like the rest; in the foreground, to the terminal.
    writePid(dir, (note) => (log.file ? log.logger.warn(note) : println(io.stderr, note)));
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    throw err;
  }
  let master;
  try {
    const { startMaster } = await import('../master.js');
    master = await startMaster(dir, { handleSignals: false, readyFile: true, logger: log.logger });
    log.configure(master.config.log);
  } catch (err) {
    removePid(dir);
    const message = (await describeListenError(err, dir)) ?? errorText(err);
    send({ type: 'failed', message });
    throw new CliError(`the master did not start: ${message}`);
  }
  const info: ReadyInfo = { pid: process.pid, httpPort: master.httpPort, workerPort: master.workerPort, dir };
  send({ type: 'ready', info });
  // In the foreground, for the person at the terminal; a daemon's parent prints them, and its log holds JSON only.
  if (!log.file) for (const line of describeReady(info)) println(io.stderr, line);

  let reconfigs = Promise.resolve();
  const onHup = () => {
    reconfigs = reconfigs.then(async () => {
      const at = Date.now();
      try {
        const r = await master.reconfig();
        if (r.ok) log.configure(master.config.log);
        writeReconfigStatus(dir, { ok: r.ok, issues: r.issues, at, pid: process.pid });
      } catch (err) {
        writeReconfigStatus(dir, { ok: false, issues: [{ path: '', message: errorText(err) }], at, pid: process.pid });
      }
    });
  };
  // SIGUSR1 would otherwise open Node's inspector on a port: here it means "reopen the log" (logrotate).
  const onUsr1 = () => {
    if (log.reopen()) log.logger.info({ file: log.file!.path }, 'received SIGUSR1; reopened the log file');
    else log.logger.info('received SIGUSR1; logging to standard output, there is no log file to reopen');
  };
  process.on('SIGUSR1', onUsr1);
  return new Promise<number>((resolveExit) => {
    const onStop = () => {
      process.off('SIGTERM', onStop); process.off('SIGINT', onStop); process.off('SIGHUP', onHup); process.off('SIGUSR1', onUsr1);
      master.stop().then(() => { removePid(dir); resolveExit(0); }, (err) => {
        println(io.stderr, `stop failed: ${errorText(err)}`);
        removePid(dir);
        resolveExit(1);
      });
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
  });
}

/**
 * Starts a detached `start --foreground` child and waits for its ready/failed message. After a
 * failure it also waits for the child to exit (it closes what it had opened first), so nothing is
 * left running when this returns; a child still there at the deadline is killed.
 */
export async function startDaemon(dir: string, timeoutS: number, note?: (message: string) => void): Promise<ReadyInfo> {
  const pid = runningPid(dir, note);
  if (pid !== null) throw new CliError(`a master is already running in ${dir} (pid ${pid}); use 'mastro stop ${dir}' first`);
  const log = join(dir, LOG_FILE);
  const logFd = openSync(log, 'a');
  const script = process.argv[1]!;
  // The child writes (and rotates) the log file itself; its standard output and error go there too, for
  // what is printed before its logger exists.
  const child = spawn(process.execPath, [...process.execArgv, script, 'start', dir, '--foreground'], {
    cwd: dir, detached: true, stdio: ['ignore', logFd, logFd, 'ipc'], env: { ...process.env, [DAEMON_LOG_ENV]: log },
  });
  closeSync(logFd);
  try {
    return await new Promise<ReadyInfo>((resolveReady, reject) => {
      let failure: string | null = null;
      const timer = setTimeout(() => {
        if (failure === null) {
          reject(new CliError(`the master did not report ready within ${timeoutS}s; see ${log} (it may still be starting: pid ${child.pid})`));
          return;
        }
        try { process.kill(child.pid!, 'SIGKILL'); } catch { /* gone meanwhile */ }
        reject(new CliError(`the master did not start: ${failure}\n(it did not exit after that, so it was killed: pid ${child.pid}; log: ${log})`));
      }, timeoutS * 1000);
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') { clearTimeout(timer); resolveReady(m.info); return; }
        failure = m.message; // settled when the child has exited
      });
      // 'close', not 'exit': it comes after the IPC channel closed, so after the child's last message.
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        if (failure !== null) reject(new CliError(`the master did not start: ${failure}\n(log: ${log})`));
        else reject(new CliError(`the master exited during start-up (${signal ?? `code ${code}`}); see ${log}`));
      });
      child.on('error', (err) => { clearTimeout(timer); reject(new CliError(`could not start the master: ${err.message}`)); });
    });
  } finally {
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
  }
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(argv, { foreground: { type: 'boolean' }, timeout: { type: 'string' } }, 1);
  const dir = masterDirArg(positionals[0], 'start');
  if (values.foreground) return runForeground(dir, io);
  const info = await startDaemon(dir, seconds(values.timeout, 120, 'timeout'), (note) => println(io.stderr, note));
  for (const line of describeReady(info)) println(io.stdout, line);
  println(io.stdout, `  log: ${join(dir, LOG_FILE)}; pid file: ${pidPath(dir)}`);
  return 0;
}
