/** Change sources: the config factories (`changes.*`) and what the master runs from them. */
export { changes, type ChangeSourceSpec, type GitPollerOptions } from './specs.js';
export { createChangeSource, GitPoller, GitPollerError, type AnyChangeSource, type ChangeSourceServices } from './create.js';
export { redactUrl } from './redact.js';
