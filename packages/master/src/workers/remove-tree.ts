/**
 * Removes a directory tree of any depth. An upload can build a chain of thousands of nested
 * directories (one tar entry each); `fs.rmSync(..., { recursive: true })` recurses once per level
 * and dies with "Maximum call stack size exceeded" on such a chain, leaving it on the master's disk.
 * This walks with an explicit stack instead, never follows symlinks (a link is unlinked, not
 * entered) and treats what is already gone as removed.
 */
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Unlinks done at once within one directory: enough to keep the thread pool busy, not flooded. */
const PARALLEL_UNLINKS = 16;

function gone(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

async function unlinkAll(paths: string[]): Promise<void> {
  for (let i = 0; i < paths.length; i += PARALLEL_UNLINKS) {
    await Promise.all(paths.slice(i, i + PARALLEL_UNLINKS).map((p) => unlink(p).catch((err) => { if (!gone(err)) throw err; })));
  }
}

export async function removeTree(root: string): Promise<void> {
  const st = await lstat(root).catch((err) => { if (gone(err)) return null; throw err; });
  if (!st) return;
  if (!st.isDirectory()) { await unlinkAll([root]); return; }
  // Each directory is listed once on the way down and removed on the way back up, when its
  // subdirectories (pushed above it) are gone.
  const stack: Array<{ dir: string; listed: boolean }> = [{ dir: root, listed: false }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.listed) {
      await rmdir(top.dir).catch((err) => { if (!gone(err)) throw err; });
      stack.pop();
      continue;
    }
    top.listed = true;
    const entries = await readdir(top.dir, { withFileTypes: true }).catch((err) => { if (gone(err)) return []; throw err; });
    const files: string[] = [];
    for (const entry of entries) {
      const p = join(top.dir, entry.name);
      if (entry.isDirectory()) stack.push({ dir: p, listed: false });
      else files.push(p);
    }
    await unlinkAll(files);
  }
}
