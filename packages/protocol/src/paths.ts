/**
 * Path containment, shared by the master (transfer steps' master-side paths) and the worker (every
 * path a master sends): one rule, one argument order, so neither side can read it backwards.
 */
import path from 'node:path';

/** The path rules of a platform: `path.win32` on Windows, `path.posix` elsewhere (default the host's). */
export function platformPath(platform: NodeJS.Platform = process.platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/**
 * True when `candidate` is `root` itself or below it, compared lexically (resolve both first; check
 * symlinks separately). Only a first component that is exactly `..` climbs out: `..cache` or `...`
 * are ordinary names inside. `platform` picks the path rules (default the host's; the worker's tests
 * inject 'win32'): on Windows `relative` answers an absolute path when the two are on different
 * drives (or UNC shares), which `isAbsolute` catches, and compares without regard to case.
 */
export function isInside(root: string, candidate: string, platform: NodeJS.Platform = process.platform): boolean {
  const p = platformPath(platform);
  const rel = p.relative(root, candidate);
  if (rel === '') return true;
  return rel !== '..' && !rel.startsWith('..' + p.sep) && !p.isAbsolute(rel);
}
