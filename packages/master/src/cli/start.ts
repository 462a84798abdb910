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

export async function runForeground(dir: string, io: Io): Promise<number> {
  // The daemon parent gets one message, then the channel is closed (an open one would keep this process alive).
  const send = (m: ChildMessage) => { if (process.send) { process.send(m); process.disconnect?.(); } };
  try {
    writePid(dir, (note) => println(io.stderr, note));
  } catch (err) {
    send({ type: 'failed', message: (err as Error).message });
    throw err;
  }
  let master;
  try {
    const { startMaster } = await import('../master.js');
    master = await startMaster(dir, { handleSignals: false, readyFile: true });
  } catch (err) {
    removePid(dir);
    const message = (await describeListenError(err, dir)) ?? errorText(err);
    send({ type: 'failed', message });
    throw new CliError(`the master did not start: ${message}`);
  }
  const info: ReadyInfo = { pid: process.pid, httpPort: master.httpPort, workerPort: master.workerPort, dir };
  send({ type: 'ready', info });
  for (const line of describeReady(info)) println(io.stderr, line);

  let reconfigs = Promise.resolve();
  const onHup = () => {
    reconfigs = reconfigs.then(async () => {
      const at = Date.now();
      try {
        const r = await master.reconfig();
        writeReconfigStatus(dir, { ok: r.ok, issues: r.issues, at, pid: process.pid });
      } catch (err) {
        writeReconfigStatus(dir, { ok: false, issues: [{ path: '', message: errorText(err) }], at, pid: process.pid });
      }
    });
  };
  return new Promise<number>((resolveExit) => {
    const onStop = () => {
      process.off('SIGTERM', onStop); process.off('SIGINT', onStop); process.off('SIGHUP', onHup);
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
  const child = spawn(process.execPath, [...process.execArgv, script, 'start', dir, '--foreground'], {
    cwd: dir, detached: true, stdio: ['ignore', logFd, logFd, 'ipc'],
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
