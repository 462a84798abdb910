/**
 * Options of the git poller (`changes.gitPoller({...})`): the repository and branches to follow,
 * how often, the limits of each git command, and the credentials (which never reach argv, logs or
 * stored changes). Checked here when the config loads; every limit has a documented default.
 */
import { brand } from '../../model/config-brand.js';
import type { IssueCollector } from '../../model/config-errors.js';
import { bool, describe, isPlainObject, num, optStr, str } from '../../model/config-checks.js';
import { isRenderable } from '../../process/step-types.js';
import { redactUrl } from '../../util/url-credentials.js';
import { GIT_POLLER_OPTION_DEFAULTS } from '../../options/changes.js';
import { isHttpUrl, isSshUrl, STRICT_HOST_KEY_CHECKING_VALUES, type GitTokenSource, type HttpAuthScheme, type StrictHostKeyChecking } from '../git-credentials.js';

export interface GitPollerOptions {
  /** Repository to poll: a URL git understands (https://, ssh, file://) or a local path. */
  repourl: string;
  /** Branches to follow: names (without refs/heads/), `true` for every branch, or a predicate on the full ref name. Default ['master'] (Buildbot's). */
  branches?: string[] | true | ((ref: string) => boolean);
  /** Seconds between polls. Default 600 (Buildbot's). */
  pollInterval?: number;
  /** Poll once right at start-up instead of after the first interval. Default false. */
  pollAtLaunch?: boolean;
  /**
   * How many of each branch's newest commits the very first poll turns into Changes (a commit on
   * several branches counts once). Default 0: the first poll only records the heads, so adding a
   * poller to an old repository does not flood the queue with its history.
   */
  firstPollChanges?: number;
  /** Directory of the poller's bare clone, relative to the master dir. Default `gitpoller-work/<name hash>`. */
  workdir?: string;
  /** Name of the poller (its state is kept under it). Default: the repository URL without credentials. */
  name?: string;
  project?: string;
  category?: string | null;
  codebase?: string;
  /** Seconds a single git command may run before it is killed. Default 300. */
  gitTimeout?: number;
  /** Bytes of output one git command may print (a log of many new commits) before it is killed and the poll fails. Default 64 MiB. */
  gitMaxOutputBytes?: number;
  /** Path of the git executable. Default 'git'. */
  gitBin?: string;
  /**
   * SSH private key for ssh repository URLs (relative paths start at the master dir). The file
   * must not be readable by group or others. Git gets it through GIT_SSH_COMMAND
   * (`ssh -i <key> -o IdentitiesOnly=yes -o BatchMode=yes`). Default: ssh's own configuration.
   */
  sshPrivateKey?: string;
  /** known_hosts file for ssh (relative to the master dir) instead of the user's `~/.ssh/known_hosts`. */
  sshKnownHosts?: string;
  /** ssh's StrictHostKeyChecking. Default: ssh's (in batch mode an unknown host key fails the poll). */
  sshStrictHostKeyChecking?: StrictHostKeyChecking;
  /**
   * Token for http(s) repository URLs: the value, `{ env: 'GITHUB_TOKEN' }`, `{ file: 'path' }`
   * (private file, relative to the master dir) or `util.secret('name')`. Sent to git only as an
   * `http.extraHeader` through its environment; never in argv, logs, errors or stored changes.
   */
  httpToken?: GitTokenSource;
  /** How the token is sent: `basic` (default, with httpUsername) or `bearer`. */
  httpAuth?: HttpAuthScheme;
  /** User name for Basic authentication. Default 'x-access-token' (GitHub; GitLab accepts 'oauth2'). */
  httpUsername?: string;
}

export type GitPollerSpec = { kind: 'gitPoller' } & GitPollerOptions;

/** `changes.gitPoller({...})`. */
export function gitPoller(o: GitPollerOptions): GitPollerSpec {
  return brand('changeSource', { ...o, kind: 'gitPoller' as const });
}

/** Declared with the git poller's options (options/changes.ts). */
export const GIT_POLLER_DEFAULTS = { ...GIT_POLLER_OPTION_DEFAULTS, httpAuth: GIT_POLLER_OPTION_DEFAULTS.httpAuth as HttpAuthScheme } as const;

/** The option names (the schema test compares the published schema with them). */
export const GIT_POLLER_KEYS = ['kind', 'repourl', 'branches', 'pollInterval', 'pollAtLaunch', 'firstPollChanges', 'workdir', 'name', 'project', 'category', 'codebase', 'gitTimeout', 'gitMaxOutputBytes', 'gitBin',
  'sshPrivateKey', 'sshKnownHosts', 'sshStrictHostKeyChecking', 'httpToken', 'httpAuth', 'httpUsername'];

/** Checks the options (every mistake with its path) and fills the defaults. */
export function normaliseGitPoller(raw: Record<string, unknown>, c: IssueCollector): GitPollerSpec {
  const repourl = str(c, raw, 'repourl', { required: true, nonEmpty: true });
  // git would read a leading '-' as an option (e.g. --upload-pack=<command>).
  if (repourl.startsWith('-')) c.add('repourl', `must be a URL or a path, not something starting with '-' (got ${JSON.stringify(redactUrl(repourl))})`);
  const branches = raw.branches;
  if (branches !== undefined && branches !== true && typeof branches !== 'function') {
    if (!Array.isArray(branches) || !branches.every((b) => typeof b === 'string')) c.add('branches', `must be a list of branch names, true (all branches) or a function, got ${describe(branches)}`);
  }
  const workdir = optStr(c, raw, 'workdir');
  if (workdir && workdir.split(/[\\/]/).includes('..')) c.add('workdir', 'must stay inside the master directory (no ..)');
  return {
    kind: 'gitPoller',
    repourl,
    branches: (branches as GitPollerSpec['branches']) ?? [...GIT_POLLER_DEFAULTS.branches],
    pollInterval: num(c, raw, 'pollInterval', { fallback: GIT_POLLER_DEFAULTS.pollInterval, min: 0.01 }),
    pollAtLaunch: bool(c, raw, 'pollAtLaunch', GIT_POLLER_DEFAULTS.pollAtLaunch),
    firstPollChanges: num(c, raw, 'firstPollChanges', { fallback: GIT_POLLER_DEFAULTS.firstPollChanges, min: 0, integer: true }),
    workdir: workdir ?? undefined,
    name: optStr(c, raw, 'name') ?? redactUrl(repourl),
    project: optStr(c, raw, 'project') ?? GIT_POLLER_DEFAULTS.project,
    category: optStr(c, raw, 'category'),
    codebase: optStr(c, raw, 'codebase') ?? GIT_POLLER_DEFAULTS.codebase,
    gitTimeout: num(c, raw, 'gitTimeout', { fallback: GIT_POLLER_DEFAULTS.gitTimeout, min: 1 }),
    gitMaxOutputBytes: num(c, raw, 'gitMaxOutputBytes', { fallback: GIT_POLLER_DEFAULTS.gitMaxOutputBytes, min: 1024, integer: true }),
    gitBin: optStr(c, raw, 'gitBin') ?? GIT_POLLER_DEFAULTS.gitBin,
    ...gitPollerCredentials(raw, repourl, c),
  };
}

/** The credential options: checked for shape here; files and environment variables are read at poll time. */
function gitPollerCredentials(raw: Record<string, unknown>, repourl: string, c: IssueCollector): Partial<GitPollerSpec> {
  const out: Partial<GitPollerSpec> = {};
  const sshPrivateKey = optStr(c, raw, 'sshPrivateKey');
  const sshKnownHosts = optStr(c, raw, 'sshKnownHosts');
  const strict = raw.sshStrictHostKeyChecking;
  if (sshPrivateKey !== null) { if (!sshPrivateKey) c.add('sshPrivateKey', 'must be the path of a private key file'); else out.sshPrivateKey = sshPrivateKey; }
  if (sshKnownHosts !== null) { if (!sshKnownHosts) c.add('sshKnownHosts', 'must be the path of a known_hosts file'); else out.sshKnownHosts = sshKnownHosts; }
  if (strict !== undefined) {
    if (!STRICT_HOST_KEY_CHECKING_VALUES.includes(strict as never)) c.add('sshStrictHostKeyChecking', `must be one of ${STRICT_HOST_KEY_CHECKING_VALUES.map((v) => `'${v}'`).join(', ')}, got ${describe(strict)}`);
    else out.sshStrictHostKeyChecking = strict as GitPollerSpec['sshStrictHostKeyChecking'];
  }
  const sshKeys = (['sshPrivateKey', 'sshKnownHosts', 'sshStrictHostKeyChecking'] as const).filter((k) => raw[k] !== undefined);
  if (sshKeys.length && repourl && !isSshUrl(repourl)) c.add(sshKeys[0]!, `applies only to ssh repository URLs (ssh://host/repo or user@host:repo), but repourl is ${JSON.stringify(redactUrl(repourl))}`);

  const token = raw.httpToken;
  if (token !== undefined) {
    if (tokenSourceProblem(token)) c.add('httpToken', `${tokenSourceProblem(token)}; give the token, { env: 'GITHUB_TOKEN' }, { file: 'path' } or util.secret('name')`);
    else out.httpToken = token as GitTokenSource;
    if (repourl && !isHttpUrl(repourl)) c.add('httpToken', `is sent only to http(s) repositories, but repourl is ${JSON.stringify(redactUrl(repourl))}`);
  }
  const auth = raw.httpAuth;
  if (auth !== undefined && auth !== 'basic' && auth !== 'bearer') c.add('httpAuth', `must be 'basic' or 'bearer', got ${describe(auth)}`);
  const username = optStr(c, raw, 'httpUsername');
  if (username !== null && (!username || username.includes(':') || /[\r\n]/.test(username))) c.add('httpUsername', 'must be a non-empty user name without \':\' or line breaks');
  if (username !== null && auth === 'bearer') c.add('httpUsername', "is used only with httpAuth 'basic' (a bearer token has no user name)");
  if ((auth !== undefined || username !== null) && token === undefined) c.add(auth !== undefined ? 'httpAuth' : 'httpUsername', 'has no effect without httpToken');
  if (token !== undefined) {
    out.httpAuth = auth === 'bearer' ? 'bearer' : GIT_POLLER_DEFAULTS.httpAuth;
    if (out.httpAuth === 'basic') out.httpUsername = username || GIT_POLLER_DEFAULTS.httpUsername;
  }
  return out;
}

/** What is wrong with an httpToken value (never quoting it), or null when it is usable. */
function tokenSourceProblem(token: unknown): string | null {
  if (typeof token === 'string') return !token ? 'must not be empty' : /[\r\n]/.test(token) ? 'must be a single line' : null;
  if (isRenderable(token)) return null;
  if (isPlainObject(token)) {
    const keys = Object.keys(token);
    if (keys.length === 1 && keys[0] === 'env') return typeof token.env === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(token.env) ? null : `{ env } must name an environment variable, got ${describe(token.env)}`;
    if (keys.length === 1 && keys[0] === 'file') return typeof token.file === 'string' && token.file ? null : `{ file } must be a path, got ${describe(token.file)}`;
    return `an object must be { env: 'NAME' } or { file: 'path' }, got keys ${keys.join(', ') || '(none)'}`;
  }
  return `must be a string, got ${typeof token}`;
}

