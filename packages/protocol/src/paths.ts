/**
 * Path containment, shared by the master (transfer steps' master-side paths) and the worker (every
 * path a master sends): one rule, one argument order, so neither side can read it backwards.
 */
import path from 'node:path';

/**
 * True when `candidate` is `root` itself or below it, compared lexically (resolve both first; check
 * symlinks separately). Only a first component that is exactly `..` climbs out: `..cache` or `...`
 * are ordinary names inside. On Windows `relative` answers an absolute path when the two are on
 * different drives, which `isAbsolute` catches.
 */
export function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  if (rel === '') return true;
  return rel !== '..' && !rel.startsWith('..' + path.sep) && !path.isAbsolute(rel);
}
