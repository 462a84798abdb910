/**
 * The answer to `get_worker_info`, shaped like Buildbot 3.7's: every file of `BASEDIR/info/`, the
 * `/etc/os-release` keys as `os_*`, plus environ, system (Python's os.name: 'posix' or 'nt'),
 * basedir, numcpus, version, worker_commands and delete_leftover_dirs.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

export function workerInfo(basedir: string, opts: { numcpus?: number; deleteLeftoverDirs?: boolean } = {}): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  const infoDir = path.join(basedir, 'info');
  if (existsSync(infoDir)) {
    for (const name of readdirSync(infoDir).sort()) {
      const file = path.join(infoDir, name);
      try { if (statSync(file).isFile()) info[name] = readFileSync(file, 'utf8'); } catch { /* unreadable: skip */ }
    }
  }
  Object.assign(info, readOsRelease());
  info.environ = { ...process.env };
  info.system = process.platform === 'win32' ? 'nt' : 'posix';
  info.basedir = basedir;
  info.numcpus = opts.numcpus ?? (os.availableParallelism?.() ?? os.cpus().length);
  info.version = WORKER_VERSION;
  info.worker_commands = commandVersions();
  info.delete_leftover_dirs = opts.deleteLeftoverDirs ?? false;
  return info;
}
