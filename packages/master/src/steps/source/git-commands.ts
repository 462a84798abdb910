/**
 * Pure composition of the git command lines the Git step sends to the worker (no I/O here, so the
 * exact sequences are easy to test and to read). Semantics follow Buildbot 3.7's Git source step.
 */

export interface CloneSpec {
  repourl: string;
  branch: string;
  /** Depth for a shallow clone; false/0 for a full clone. */
  shallow: number | false;
  reference?: string | null;
  origin?: string | null;
  filters?: readonly string[] | null;
  progress: boolean;
}

/**
 * `git clone [--branch B | --no-checkout] [--depth N] [--reference R] [--origin O] [--filter F]... URL . [--progress]`.
 * A `refs/...` branch cannot be named to clone, so it is fetched afterwards: `switchToBranch` says so.
 */
export function cloneArgs(s: CloneSpec): { args: string[]; switchToBranch: boolean } {
  const args = ['clone'];
  let switchToBranch = s.branch !== 'HEAD';
  if (s.branch !== 'HEAD') {
    if (s.branch.startsWith('refs/')) args.push('--no-checkout');
    else { switchToBranch = false; args.push('--branch', s.branch); }
  }
  if (s.shallow) args.push('--depth', String(Math.trunc(s.shallow)));
  if (s.reference) args.push('--reference', s.reference);
  if (s.origin) args.push('--origin', s.origin);
  for (const f of s.filters ?? []) args.push('--filter', f);
  args.push(s.repourl, '.');
  if (s.progress) args.push('--progress');
  return { args, switchToBranch };
}

/** `git fetch -f -t URL BRANCH [--progress]` (with `--depth N` for shallow working copies). */
export function fetchArgs(repourl: string, branch: string, progress: boolean, depth?: number | false): string[] {
  const args = ['fetch', '-f', '-t', repourl, branch];
  if (depth) args.push('--depth', String(Math.trunc(depth)));
  if (progress) args.push('--progress');
  return args;
}

export const checkoutArgs = (rev: string): string[] => ['checkout', '-f', rev];
/** After a fetch, name the local branch like the remote one (errors ignored). */
export const renameBranchArgs = (branch: string): string[] => ['checkout', '-B', branch];
export const revisionExistsArgs = (rev: string): string[] => ['cat-file', '-e', rev];
export const revParseHeadArgs = (): string[] => ['rev-parse', 'HEAD'];

/** `clean`: untracked files go, ignored ones stay; `fresh` (-x) removes ignored files too. */
export function cleanArgs(withIgnored: boolean): string[] {
  return withIgnored ? ['clean', '-f', '-f', '-d', '-x'] : ['clean', '-f', '-f', '-d'];
}

export const submoduleSyncArgs = (): string[] => ['submodule', 'sync'];

export function submoduleUpdateArgs(remote: boolean, forceCheckout: boolean): string[] {
  const args = ['submodule', 'update', '--init', '--recursive'];
  if (forceCheckout) args.push('--force', '--checkout');
  if (remote) args.push('--remote');
  return args;
}

export function submoduleCleanArgs(withIgnored: boolean): string[] {
  return ['submodule', 'foreach', '--recursive', `git clean -f -f -d${withIgnored ? ' -x' : ''}`];
}

export const updateIndexRefreshArgs = (): string[] => ['update-index', '--refresh'];

export function applyPatchArgs(level: number, file: string): string[] {
  return ['apply', '--index', '-p', String(level), file];
}

/** Flags for `git describe` from Buildbot's getDescription dict; `HEAD` unless --dirty is given. */
export function describeArgs(desc: boolean | Record<string, unknown>): string[] {
  const args = ['describe'];
  if (typeof desc === 'object' && desc !== null) {
    const on = (k: string, flag: string) => { if (desc[k]) args.push(flag); };
    on('all', '--all'); on('always', '--always'); on('contains', '--contains'); on('debug', '--debug');
    on('long', '--long'); on('exact-match', '--exact-match'); on('tags', '--tags');
    if (desc.match) args.push('--match', String(desc.match));
    // Numeric flags count zero as given (`abbrev: 0` means --abbrev=0).
    const numeric = (k: string) => { if (typeof desc[k] === 'number') args.push(`--${k}=${desc[k]}`); };
    numeric('abbrev'); numeric('candidates');
    const dirty = desc.dirty;
    if (dirty === true || dirty === '') args.push('--dirty');
    else if (typeof dirty === 'string' && dirty) args.push(`--dirty=${dirty}`);
  }
  if (!args.some((a) => a.startsWith('--dirty'))) args.push('HEAD');
  return args;
}

/** `-c key=value` pairs placed before the subcommand (Buildbot's `config` option). */
export function configArgs(config: Readonly<Record<string, string>> | null | undefined): string[] {
  if (!config) return [];
  return Object.entries(config).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
}

/** A full object name: 40 hex (SHA-1) or 64 hex (SHA-256 repositories). */
export function isFullHash(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s) || /^[0-9a-f]{64}$/.test(s);
}
