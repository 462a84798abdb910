/**
 * A small tmpfs for tests that fill a disk: mounted on a directory of the test's own and unmounted
 * by `unmount()` (cleanup). Mounting needs root (CI runs as root); `mountTmpfs` returns a skip
 * reason instead when the machine does not allow it.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs { dir: string; unmount(): void }

/** Why a tmpfs cannot be mounted here (a skip reason), or false when it can. Tries it once. */
export function tmpfsUnavailable(): string | false {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'mastro-tmpfs-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    return false;
  } catch (err) {
    return `mount -t tmpfs is not permitted here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  } finally {
    rmdirSync(probe);
  }
}

/** Mounts a tmpfs of `sizeMiB` on `dir` (which must exist and be empty). */
export function mountTmpfs(dir: string, sizeMiB: number): Tmpfs {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { stdio: 'pipe' });
  return { dir, unmount: () => { try { execFileSync('umount', ['-l', dir], { stdio: 'pipe' }); } catch { /* not mounted */ } } };
}

/** Writes zeros to `file` until the disk is full (ENOSPC); returns the bytes written. */
export function fillDisk(file: string): number {
  const block = Buffer.alloc(64 * 1024);
  const fd = openSync(file, 'w');
  let total = 0;
  try {
    // A short write means the disk is almost full; the next one fails with ENOSPC.
    for (;;) {
      try { total += writeSync(fd, block); } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return total;
        throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

export function removeFiller(file: string): void { unlinkSync(file); }
