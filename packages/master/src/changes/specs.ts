/**
 * Change-source specs: what `changes.*` return in a config. The master creates the running source
 * with `createChangeSource` (./create.ts) after `normalise` checked the options.
 */
import { brand } from '../config/brand.js';
import { mirrorPoller, type MirrorPollerSpec } from './mirror/options.js';
import { gerritStream, type GerritStreamSpec } from './gerrit-stream.js';
import { pbChangeSource, type PbChangeSourceSpec } from './pb/options.js';
import type { GitTokenSource, HttpAuthScheme, StrictHostKeyChecking } from './git-credentials.js';
import { GIT_RUN_DEFAULTS } from './git-runner.js';

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
export type ChangeSourceSpec = GitPollerSpec | MirrorPollerSpec | GerritStreamSpec | PbChangeSourceSpec;
export type ChangeSourceKind = ChangeSourceSpec['kind'];

/** The `changes` namespace of the config API. */
export const changes = {
  gitPoller: (o: GitPollerOptions): GitPollerSpec => brand('changeSource', { ...o, kind: 'gitPoller' as const }),
  /** Many repositories mirrored locally (explicit list, glob, or forge discovery); see mirror/options.ts. */
  mirrorPoller,
  /** Gerrit's `stream-events` over SSH (or any command printing its JSON events). */
  gerritStream,
  /** Buildbot's PBChangeSource: `buildbot sendchange` and post-receive scripts written for it log in and add Changes. */
  pb: pbChangeSource,
};

export const GIT_POLLER_DEFAULTS = {
  branches: ['master'] as string[],
  pollInterval: 600,
  pollAtLaunch: false,
  firstPollChanges: 0,
  gitTimeout: 300,
  gitMaxOutputBytes: GIT_RUN_DEFAULTS.maxOutputBytes,
  gitBin: 'git',
  httpAuth: 'basic' as HttpAuthScheme,
  httpUsername: 'x-access-token',
  project: '',
  codebase: '',
} as const;
