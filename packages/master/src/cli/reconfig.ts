/**
 * `mastro reconfig DIR [--timeout S]`: checks the config here first (a broken config is reported
 * and the master is not disturbed), then sends SIGHUP and reports the master's own outcome from
 * `DIR/reconfig.status`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tryLoadConfig } from '../config/load.js';
import { formatIssueAt, type ConfigIssue } from '../model/config-errors.js';
import { CliError, masterDirArg, parse, println, seconds, type Io } from './io.js';
import { RECONFIG_STATUS_FILE, runningPid } from './pidfile.js';

interface Status { ok: boolean; issues: ConfigIssue[]; at: number; pid: number }

function readStatus(dir: string): Status | null {
  try { return JSON.parse(readFileSync(join(dir, RECONFIG_STATUS_FILE), 'utf8')) as Status; } catch { return null; }
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(argv, { timeout: { type: 'string' } }, 1);
  const dir = masterDirArg(positionals[0], 'reconfig');
  const timeoutS = seconds(values.timeout, 60, 'timeout');
  const pid = runningPid(dir, (note) => println(io.stderr, note));
  if (pid === null) throw new CliError(`no master is running in ${dir}; start it with 'mastro start ${positionals[0]}'`);

  const local = await tryLoadConfig(dir);
  if (!local.config) {
    println(io.stderr, `${local.file ?? dir}: ${local.issues.length} error(s); the running master keeps its current config:`);
    for (const i of local.issues) println(io.stderr, `  ${formatIssueAt(i)}`);
    return 1;
  }

  const sentAt = Date.now();
  process.kill(pid, 'SIGHUP');
  const deadline = sentAt + timeoutS * 1000;
  for (;;) {
    const s = readStatus(dir);
    if (s && s.pid === pid && s.at >= sentAt - 5) {
      if (s.ok) { println(io.stdout, 'reconfig applied'); return 0; }
      println(io.stderr, `reconfig refused; the running master keeps its current config:`);
      for (const i of s.issues) println(io.stderr, `  ${formatIssueAt(i)}`);
      return 1;
    }
    if (Date.now() > deadline) throw new CliError(`the master (pid ${pid}) did not report a reconfig outcome within ${timeoutS}s; see its log`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
