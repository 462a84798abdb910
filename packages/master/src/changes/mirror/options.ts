/**
 * Options of the mirror poller (`changes.mirrorPoller({...})`): which repositories to mirror, how
 * to keep the mirrors, what to emit each cycle. Every limit has a documented default.
 */
import { brand } from '../../model/config-brand.js';
import type { IssueCollector } from '../../model/config-errors.js';
import { describe, isPlainObject, optStr } from '../../model/config-checks.js';
import { GIT_RUN_DEFAULTS } from '../git-runner.js';

export interface MirrorRepositorySpec {
  /** Clone URL or local path of the upstream repository. */
  url: string;
  /** Short name (used for the mirror directory, the state key and the default project). Default: the URL's last path segment without `.git`. */
  name?: string;
  /** Link to a commit web page, `{rev}` replaced by the revision (e.g. 'https://github.com/o/r/commit/{rev}'). */
  revlink?: string;
}

export type ForgeKind = 'github' | 'gitlab' | 'gitea';

export interface ForgeDiscovery {
  type: ForgeKind;
  /** GitHub organisation, GitLab group (full path, subgroups included) or Gitea organisation. */
  owner: string;
  /** API base URL. Defaults: https://api.github.com, https://gitlab.com; required for Gitea (e.g. https://gitea.example.org). */
  apiUrl?: string;
  /** API token (also sent to git for https clones of that host). Kept out of logs. */
  token?: string;
  /** Clone over 'https' (default) or 'ssh'. */
  cloneProtocol?: 'https' | 'ssh';
  /** Include archived repositories. Default false. */
  includeArchived?: boolean;
  /** Include forks. Default true. */
  includeForks?: boolean;
  /** Only repositories whose name passes this test (a RegExp or a predicate on the full name). */
  filter?: RegExp | ((fullName: string) => boolean);
}

export interface MirrorPollerOptions {
  /** Name of the poller; its state is kept under it. Default 'mirror'. */
  name?: string;
  /** Repositories listed explicitly (URLs, local paths, or objects). */
  repositories?: Array<string | MirrorRepositorySpec>;
  /** A glob over a directory of bare repositories, `*` and `?` in the last path segment only, e.g. '/srv/git/*.git'. Relative to the master directory. */
  glob?: string;
  /** Repositories discovered from a forge's API. */
  forge?: ForgeDiscovery;
  /** Seconds between discoveries (glob and forge); the list is kept between them. Default 3600; 0 discovers every cycle. */
  discoveryInterval?: number;
  /** Directory holding the bare mirrors, relative to the master directory. Default `mirrors/<name>`. */
  mirrorDir?: string;
  /** Refspecs fetched into each mirror (with --prune). Default heads and tags; ['+refs/*:refs/*'] mirrors everything. */
  refspecs?: string[];
  /** Branches that produce Changes: names without refs/heads/, `true` for all (default), or a predicate on the full ref name. */
  branches?: string[] | true | ((ref: string) => boolean);
  /** Emit Changes for new commits. Default true. */
  emitChanges?: boolean;
  /** Emit one Change for a branch moved without new commits (created at a known commit), as Buildbot's buildPushesWithNoCommits. Default false. */
  buildPushesWithNoCommits?: boolean;
  /** At most this many Changes per ref update (the newest commits). Default 100. */
  maxChangesPerRef?: number;
  /** A post-receive style hook run in the mirror after each update: argv, stdin as git gives post-receive. */
  hook?: { command: string[]; env?: Record<string, string>; /** Seconds. Default 300. */ timeout?: number };
  /** Seconds between cycles. Default 300. */
  pollInterval?: number;
  /** Run the first cycle at start-up (it only records heads). Default true. */
  pollAtLaunch?: boolean;
  /** Repositories polled at once. Default 8. */
  concurrency?: number;
  /** Seconds a single git command may run. Default 300. */
  gitTimeout?: number;
  /** Bytes of output one git command may print (a ref list, a log) before it is killed and the repository's poll fails. Default 64 MiB. */
  gitMaxOutputBytes?: number;
  gitBin?: string;
  /** Change project: a string, or a function of the repository name. Default: the repository name. */
  project?: string | ((repoName: string) => string);
  /** Change codebase: a string, or a function of the repository name. Default ''. */
  codebase?: string | ((repoName: string) => string);
  category?: string | null;
}

export type MirrorPollerSpec = { kind: 'mirrorPoller' } & MirrorPollerOptions;

export const MIRROR_DEFAULTS = {
  name: 'mirror',
  discoveryInterval: 3600,
  refspecs: ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'],
  emitChanges: true,
  buildPushesWithNoCommits: false,
  maxChangesPerRef: 100,
  hookTimeout: 300,
  pollInterval: 300,
  pollAtLaunch: true,
  concurrency: 8,
  gitTimeout: 300,
  gitMaxOutputBytes: GIT_RUN_DEFAULTS.maxOutputBytes,
  gitBin: 'git',
} as const;

/** `changes.mirrorPoller({...})`: to be re-exported by the `changes` namespace of the config API. */
export function mirrorPoller(o: MirrorPollerOptions): MirrorPollerSpec {
  return brand('changeSource', { ...o, kind: 'mirrorPoller' as const });
}

/** Options with defaults applied (what the running poller reads). */
export type ResolvedMirrorOptions = Required<Pick<MirrorPollerOptions,
  'name' | 'discoveryInterval' | 'refspecs' | 'emitChanges' | 'buildPushesWithNoCommits' | 'maxChangesPerRef' | 'pollInterval' | 'pollAtLaunch' | 'concurrency' | 'gitTimeout' | 'gitMaxOutputBytes' | 'gitBin'>>
  & Omit<MirrorPollerOptions, 'name'>;

export function resolveMirrorOptions(o: MirrorPollerOptions): ResolvedMirrorOptions {
  const d = MIRROR_DEFAULTS;
  if (!o.repositories?.length && !o.glob && !o.forge) throw new Error('mirrorPoller: give repositories, glob or forge (none was given)');
  for (const [key, v] of [['concurrency', o.concurrency], ['pollInterval', o.pollInterval], ['maxChangesPerRef', o.maxChangesPerRef], ['gitTimeout', o.gitTimeout], ['gitMaxOutputBytes', o.gitMaxOutputBytes]] as const) {
    if (v !== undefined && !(typeof v === 'number' && v > 0)) throw new Error(`mirrorPoller.${key}: must be a positive number, got ${String(v)}`);
  }
  if (o.forge && o.forge.type === 'gitea' && !o.forge.apiUrl) throw new Error('mirrorPoller.forge.apiUrl: required for Gitea (the server URL, e.g. https://gitea.example.org)');
  for (const spec of o.refspecs ?? []) {
    const [src, dst] = spec.replace(/^\+/, '').split(':');
    if (!src || src !== dst) throw new Error(`mirrorPoller.refspecs: ${JSON.stringify(spec)} must map refs to the same name (a mirror refspec such as '+refs/heads/*:refs/heads/*')`);
  }
  if (o.mirrorDir?.split(/[\\/]/).includes('..')) throw new Error('mirrorPoller.mirrorDir: must stay inside the master directory (no ..)');
  return {
    ...o,
    name: o.name ?? d.name,
    discoveryInterval: o.discoveryInterval ?? d.discoveryInterval,
    refspecs: o.refspecs ?? [...d.refspecs],
    emitChanges: o.emitChanges ?? d.emitChanges,
    buildPushesWithNoCommits: o.buildPushesWithNoCommits ?? d.buildPushesWithNoCommits,
    maxChangesPerRef: o.maxChangesPerRef ?? d.maxChangesPerRef,
    pollInterval: o.pollInterval ?? d.pollInterval,
    pollAtLaunch: o.pollAtLaunch ?? d.pollAtLaunch,
    concurrency: Math.floor(o.concurrency ?? d.concurrency),
    gitTimeout: o.gitTimeout ?? d.gitTimeout,
    gitMaxOutputBytes: o.gitMaxOutputBytes ?? d.gitMaxOutputBytes,
    gitBin: o.gitBin ?? d.gitBin,
  };
}

/** The option names (unknown ones are refused with their path). */
export const MIRROR_POLLER_KEYS = ['kind', 'name', 'repositories', 'glob', 'forge', 'discoveryInterval', 'mirrorDir', 'refspecs', 'branches', 'emitChanges',
  'buildPushesWithNoCommits', 'maxChangesPerRef', 'hook', 'pollInterval', 'pollAtLaunch', 'concurrency', 'gitTimeout', 'gitMaxOutputBytes', 'gitBin', 'project', 'codebase', 'category'];

/** The mirror poller checks its own options (resolveMirrorOptions); its message names the option. */
export function normaliseMirrorPoller(raw: Record<string, unknown>, c: IssueCollector): MirrorPollerSpec | null {
  const name = optStr(c, raw, 'name') ?? MIRROR_DEFAULTS.name;
  if (raw.repositories !== undefined && !Array.isArray(raw.repositories)) c.add('repositories', `must be a list of URLs, paths or {url, name, revlink}, got ${describe(raw.repositories)}`);
  if (raw.hook !== undefined && (!isPlainObject(raw.hook) || !Array.isArray(raw.hook.command) || !raw.hook.command.every((x) => typeof x === 'string'))) {
    c.add('hook', `must be {command: [argv...], env?, timeout?}, got ${describe(raw.hook)}`);
  }
  try { resolveMirrorOptions(raw as never); } catch (err) {
    const msg = (err as Error).message;
    const m = /^mirrorPoller\.(\w+)(?:\.\w+)?: (.*)$/s.exec(msg);
    if (m) c.add(m[1]!, m[2]!); else c.here(msg.replace(/^mirrorPoller: /, ''));
    return null;
  }
  return { ...(raw as object), kind: 'mirrorPoller', name } as MirrorPollerSpec;
}
