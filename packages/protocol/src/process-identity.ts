/**
 * Is the process a pid file names still the master or worker of this directory? One killed with -9
 * (or a machine rebooted) leaves its pid file (`mastro.pid`, `worker.pid`) behind, and the system
 * may since have given that pid to an unrelated process: "the pid is alive" is then not "it is
 * running", and `stop` or `reconfig` must not signal that stranger. Shared by both CLIs.
 *
 * Both always run as `... start DIR --foreground` (the daemon re-runs the CLI that way), so the
 * process's command line (and, on Linux, its working directory for a relative DIR) says whether it
 * is the master or worker of DIR. Where the command line cannot be read (another user's process on a
 * hardened system, an OS without /proc or ps), the pid file is trusted as before.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** The argument vector of a process; [] when it is gone; null when it cannot be read. */
export function processArgv(pid: number): string[] | null {
  if (process.platform === 'linux') {
    try {
      const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? [] : null;
    }
  }
  if (process.platform === 'win32') return null;
  try {
    // BSD/macOS ps: the command line joined by spaces (arguments with spaces cannot be told apart).
    const line = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return line.trim() === '' ? [] : line.trim().split(/\s+/);
  } catch {
    return null;
  }
}

/**
 * When `pid` started, as an opaque token that differs for a later process given the same pid:
 * `/proc/PID/stat`'s start time (clock ticks since boot) on Linux, `ps -o lstart=` elsewhere on
 * POSIX. undefined when no such process runs (a zombie is dead too); null when it cannot be told
 * (Windows, no `ps`).
 */
export function processStartTime(pid: number): string | null | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name (in parentheses, which may hold spaces): state is field 3, starttime 22.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return fields[0] === 'Z' || fields[0] === 'X' ? undefined : (fields[19] ?? null);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : null;
    }
  }
  if (process.platform === 'win32') return null;
  try {
    const line = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return line.trim() === '' ? undefined : line.trim();
  } catch (err) {
    // ps exits 1 with no output for a pid that does not exist; anything else (no ps) is unknown.
    const e = err as { status?: number; stdout?: string };
    return e.status === 1 && !e.stdout?.trim() ? undefined : null;
  }
}

function processCwd(pid: number): string | null {
  if (process.platform !== 'linux') return null;
  try { return readlinkSync(`/proc/${pid}/cwd`); } catch { return null; }
}

function canonical(path: string): string {
  try { return realpathSync(path); } catch { return resolve(path); }
}

/** The DIR of `start DIR ...` in an argument vector (skipping options and the values of `valued` ones). */
export function startDirArg(argv: readonly string[], valued: readonly string[]): string | undefined {
  const at = argv.indexOf('start');
  if (at < 0) return undefined;
  for (let i = at + 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a.startsWith('-')) { if (valued.includes(a)) i++; continue; }
    return a;
  }
  return undefined;
}

/**
 * Whether `pid` runs `start DIR --foreground` for `dir`. `valued`: the start options that take a
 * value (so their value is not taken for DIR).
 */
export function runsStartFor(pid: number, dir: string, valued: readonly string[]): boolean {
  const argv = processArgv(pid);
  if (argv === null) return true;
  if (!argv.includes('--foreground')) return false;
  const target = startDirArg(argv, valued);
  if (target === undefined) return false;
  // ps output splits a DIR holding spaces; only the Linux view is exact enough to compare paths.
  if (process.platform !== 'linux') return true;
  if (!isAbsolute(target)) {
    const cwd = processCwd(pid);
    if (cwd === null) return true;
    return canonical(resolve(cwd, target)) === canonical(dir);
  }
  return canonical(target) === canonical(dir);
}
