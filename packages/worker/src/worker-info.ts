/**
 * The answer to `get_worker_info`, shaped like Buildbot 3.7's: every file of `BASEDIR/info/`, the
 * `/etc/os-release` keys as `os_*`, plus environ, system (Python's os.name: 'posix' or 'nt'),
 * basedir, numcpus, version, worker_commands and delete_leftover_dirs; and mastro's `os`, `arch`
 * and `tags` (PROTOCOL.md §3.5), which a master selects workers by. The platform is a parameter
 * so each platform's answer is unit-tested anywhere.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workerOs } from 'mastro-protocol';
import { commandVersions } from './commands/registry.js';
import { WORKER_VERSION } from './version.js';

export function readOsRelease(file = '/etc/os-release'): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(file)) return out;
  for (const raw of readFileSync(file, 'utf8').split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const value = line.slice(eq + 1).replace(/^"|"$/g, '');
    if (value) out[`os_${line.slice(0, eq).toLowerCase()}`] = value;
  }
  return out;
}

export interface WorkerInfoOptions {
  numcpus?: number;
  deleteLeftoverDirs?: boolean;
  /** The worker's own tags (`--tags`), already checked. */
  tags?: readonly string[];
  /** Default: the host's. */
  platform?: NodeJS.Platform;
  /** Default: the host's (`process.arch`). */
  arch?: string;
  /** The environment reported as `environ` (default: the worker's own). */
  env?: NodeJS.ProcessEnv;
  /** The os-release file read for the `os_*` keys (default `/etc/os-release`; null: none). */
  osReleaseFile?: string | null;
}

export function workerInfo(basedir: string, opts: WorkerInfoOptions = {}): Record<string, unknown> {
  const platform = opts.platform ?? process.platform;
  const info: Record<string, unknown> = {};
  const infoDir = path.join(basedir, 'info');
  if (existsSync(infoDir)) {
    for (const name of readdirSync(infoDir).sort()) {
      const file = path.join(infoDir, name);
      try { if (statSync(file).isFile()) info[name] = readFileSync(file, 'utf8'); } catch { /* unreadable: skip */ }
    }
  }
  const osRelease = opts.osReleaseFile === undefined ? '/etc/os-release' : opts.osReleaseFile;
  if (osRelease !== null) Object.assign(info, readOsRelease(osRelease));
  info.environ = { ...(opts.env ?? process.env) };
  info.system = platform === 'win32' ? 'nt' : 'posix';
  info.basedir = basedir;
  info.numcpus = opts.numcpus ?? (os.availableParallelism?.() ?? os.cpus().length);
  info.version = WORKER_VERSION;
  info.worker_commands = commandVersions();
  info.delete_leftover_dirs = opts.deleteLeftoverDirs ?? false;
  // After the info/ files: these are the worker's own report, whatever a file of the same name says.
  info.os = workerOs(platform);
  info.arch = opts.arch ?? process.arch;
  info.tags = [...(opts.tags ?? [])];
  return info;
}
