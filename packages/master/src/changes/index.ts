/** Change sources: the config factories (`changes.*`), their kinds, and what the master runs from them. */
export { changes, type ChangeSourceSpec, type GitPollerOptions, type GitPollerSpec } from './specs.js';
export { CHANGE_SOURCE_KINDS } from './registry.js';
export { changeSourceKind, type ChangeSource, type ChangeSourceKind } from './kind.js';
export { createChangeSource, GitPoller, GitPollerError, MirrorPoller, GerritStreamSource, type AnyChangeSource, type ChangeSourceServices } from './create.js';
export { ChangeSourceRegistry, type ChangeSourceEntry } from './running.js';
