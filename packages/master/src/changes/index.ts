/** Change sources: the config factories (`changes.*`) and what the master runs from them. */
export { changes, type ChangeSourceSpec, type GitPollerOptions, type GitPollerSpec } from './specs.js';
export { createChangeSource, GitPoller, GitPollerError, MirrorPoller, GerritStreamSource, type AnyChangeSource, type ChangeSourceServices } from './create.js';
export { ChangeSourceRegistry, type ChangeSourceEntry } from './registry.js';
