/**
 * Claiming a pid file (`mastro.pid`, `worker.pid`) without a race. "Is there one? No: write it" lets
 * two starts of one directory both pass the check and both run; here the file is created
 * exclusively, complete (written to a private file first, then hard-linked into place, so nobody
 * reads it half written), and of two starts exactly one wins. Shared by both CLIs.
 *
 * A pid file left by a process that is gone (killed with -9, a reboot) is stale: it is moved aside
 * atomically, so that when several starts find it only one removes it, and claiming is tried again.
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/** How often a claim may find a pid file that went stale or vanished under it before giving up. */
const MAX_ATTEMPTS = 10;

export interface ClaimOptions {
  /** Whether a pid found in the file is a live owner (the master or worker of this directory). */
  isOwner(pid: number): boolean;
  /** Told the content of a stale pid file this claim removed. */
  onStale?(content: string): void;
}

/** Creates `file` holding `${process.pid}\n` unless a live owner holds it. Returns null when claimed, else the owner's pid. */
export function claimPidFile(file: string, options: ClaimOptions): number | null {
  const mine = `${file}.${process.pid}.new`;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (createExclusively(file, mine)) return null;
    let found: string;
    try { found = readFileSync(file, 'utf8'); } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed meanwhile: try again
      throw err;
    }
    const pid = Number(found.trim());
    if (pid === process.pid) return null;
    if (Number.isInteger(pid) && pid > 0 && options.isOwner(pid)) return pid;
    removeStale(file, found, options.onStale);
  }
  throw new Error(`could not create the pid file ${file}: it kept changing while ${MAX_ATTEMPTS} attempts were made (is another start running in a loop?)`);
}

/** True when `file` was created by this call; false when it already existed. */
function createExclusively(file: string, staging: string): boolean {
  writeFileSync(staging, `${process.pid}\n`);
  try {
    linkSync(staging, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // A file system without hard links: an exclusive create is the next best (a reader may then see it empty for a moment).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      try { writeFileSync(file, `${process.pid}\n`, { flag: 'wx' }); return true; } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw e;
      }
    }
    throw err;
  } finally {
    rmSync(staging, { force: true });
  }
}

/**
 * Moves the stale file aside (only one of several claimers can), then checks that what it moved is
 * still the stale content: if another claimer had replaced it meanwhile, that fresh claim is put back.
 */
function removeStale(file: string, staleContent: string, onStale?: (content: string) => void): void {
  const aside = `${file}.${process.pid}.stale`;
  try { renameSync(file, aside); } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // another claimer moved it first
    throw err;
  }
  try {
    let moved = '';
    try { moved = readFileSync(aside, 'utf8'); } catch { /* gone: nothing to put back */ }
    if (moved !== staleContent) {
      try { linkSync(aside, file); } catch { /* a third claim got in first; the next attempt sees it */ }
    } else {
      onStale?.(staleContent.trim());
    }
  } finally {
    rmSync(aside, { force: true });
  }
}
