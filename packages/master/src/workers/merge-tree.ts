/**
 * Moves an extracted upload from its staging directory into `masterdest`, merging with what is
 * there as Buildbot's extraction in place does: new names arrive by one rename each (a whole new
 * subtree at once), a file or link replaces the file or link of the same name, a directory merges
 * into the directory of the same name and replaces a file or link there. A symlink already in
 * masterdest is replaced, never followed. The one conflict, a file where masterdest has a
 * directory, is found before anything moves, so a refused merge changes nothing.
 */
import { lstat, readdir, rename, unlink } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UploadRefusedError } from './upload-errors.js';

/** How many conflicting names an error lists before it only counts them. */
const MAX_NAMED_CONFLICTS = 5;

async function lstatOrNull(p: string) {
  return lstat(p).catch((err) => { if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null; throw err; });
}

/**
 * Walks `from` against `to`, descending only where both sides hold a real directory (an explicit
 * stack: a tree can be thousands of levels deep). With `move` false it only collects conflicts.
 */
async function overlay(from: string, to: string, move: boolean): Promise<string[]> {
  const conflicts: string[] = [];
  const stack: Array<[string, string]> = [[from, to]];
  while (stack.length) {
    const [src, dst] = stack.pop()!;
    for (const name of await readdir(src)) {
      const s = join(src, name);
      const d = join(dst, name);
      const [sst, dstat] = await Promise.all([lstat(s), lstatOrNull(d)]);
      if (dstat?.isDirectory()) {
        if (sst.isDirectory()) stack.push([s, d]);
        else conflicts.push(relative(from, s));
        continue;
      }
      if (!move) continue;
      // rename() replaces a file or link atomically, but cannot put a directory over one.
      if (dstat && sst.isDirectory()) await unlink(d);
      await rename(s, d);
    }
  }
  return conflicts;
}

/** Moves the contents of `staging` into the existing directory `dest`; what stays in `staging` is for the caller to remove. */
export async function mergeTree(staging: string, dest: string): Promise<void> {
  const conflicts = await overlay(staging, dest, false);
  if (conflicts.length) {
    const named = conflicts.slice(0, MAX_NAMED_CONFLICTS).join(', ');
    const more = conflicts.length > MAX_NAMED_CONFLICTS ? ` and ${conflicts.length - MAX_NAMED_CONFLICTS} more` : '';
    throw new UploadRefusedError('upload_conflict',
      `the upload has files where ${dest} already has directories (${named}${more}); nothing was changed: remove them on the master or upload into another masterdest`);
  }
  await overlay(staging, dest, true);
}
