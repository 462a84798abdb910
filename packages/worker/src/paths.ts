/**
 * Resolution of the paths a master sends. Buildbot's msgpack master joins every path with the
 * worker's basedir itself, so paths normally arrive absolute and inside the basedir; relative paths
 * are resolved against the builder's directory. By default a path must stay inside the basedir
 * (checked lexically and through symlinks of existing parents); `allowOutsideBasedir` lifts that
 * for fleets whose steps use absolute paths elsewhere on the host.
 *
 * The platform's path rules apply (`policy.platform`, default the host's, injected by tests): on
 * Windows drive letters, both slashes and UNC paths, and containment compared without regard to
 * case, as the file system does (Node's `path.win32.relative` folds case); on POSIX case matters.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { isInside, platformPath } from 'mastro-protocol';

export class PathError extends Error {
  readonly code = 'PATH_OUTSIDE_BASEDIR';
  constructor(readonly requested: string, readonly basedir: string) {
    super(`path '${requested}' is outside the worker's base directory '${basedir}'; ` +
      `start the worker with --allow-paths-outside-basedir if the master is meant to reach it`);
    this.name = 'PathError';
  }
}

export interface PathPolicy {
  basedir: string;
  allowOutsideBasedir: boolean;
  /** Whose path rules apply (default: the host's). */
  platform?: NodeJS.Platform;
}

/** The real path of the deepest existing ancestor, with the rest appended (for symlink checks). */
function realpathOfExisting(p: string): string {
  let existing = p;
  const rest: string[] = [];
  for (;;) {
    try { return path.join(realpathSync(existing), ...rest.reverse()); } catch {
      const parent = path.dirname(existing);
      if (parent === existing) return p;
      rest.push(path.basename(existing));
      existing = parent;
    }
  }
}

export function resolveWorkerPath(policy: PathPolicy, baseForRelative: string, requested: string): string {
  const platform = policy.platform ?? process.platform;
  const p = platformPath(platform);
  const resolved = p.resolve(baseForRelative, requested);
  if (policy.allowOutsideBasedir) return resolved;
  const base = p.resolve(policy.basedir);
  if (!isInside(base, resolved, platform)) throw new PathError(requested, base);
  // Symlinks can only be followed on the file system these paths live on (not for an injected platform).
  if (platform !== process.platform) return resolved;
  let realBase = base;
  try { realBase = realpathSync(base); } catch { /* basedir missing: lexical check only */ }
  if (!isInside(realBase, realpathOfExisting(resolved))) throw new PathError(requested, base);
  return resolved;
}
