/**
 * Change-source specs: what `changes.*` return in a config. The namespace holds one factory per
 * kind of registry.ts; the master creates the running source with `createChangeSource`
 * (./create.ts) after `normalise` checked the options.
 */
import { CHANGE_SOURCE_KINDS } from './registry.js';

type Kinds = typeof CHANGE_SOURCE_KINDS;

/**
 * The `changes` namespace of the config API: `gitPoller` (one repository, Buildbot's GitPoller),
 * `mirrorPoller` (many repositories mirrored locally: a list, a glob, or forge discovery; see
 * mirror/options.ts), `gerritStream` (Gerrit's `stream-events` over SSH, or any command printing its
 * JSON events).
 */
export const changes = Object.fromEntries(Object.entries(CHANGE_SOURCE_KINDS).map(([name, kind]) => [name, kind.factory])) as { readonly [K in keyof Kinds]: Kinds[K]['factory'] };

export type { ChangeSourceSpec, ChangeSourceKindName } from './registry.js';
export { GIT_POLLER_DEFAULTS, type GitPollerOptions, type GitPollerSpec } from './git-poller/options.js';
export type { MirrorPollerOptions, MirrorPollerSpec } from './mirror/options.js';
export type { GerritStreamOptions, GerritStreamSpec } from './gerrit-stream/options.js';
export type { PbChangeSourceOptions, PbChangeSourceSpec } from './pb/options.js';
