/** Turns a normalised change-source spec into a running change source (the master starts/stops it). */
import { GitPoller, type ChangeSourceServices } from './git-poller.js';
import type { ChangeSourceSpec } from './specs.js';

export type AnyChangeSource = GitPoller;

export function createChangeSource(spec: ChangeSourceSpec, services: ChangeSourceServices): AnyChangeSource {
  switch (spec.kind) {
    case 'gitPoller': return new GitPoller(spec, services);
    default: throw new Error(`unknown change source kind '${(spec as { kind: string }).kind}'`);
  }
}

export { GitPoller, GitPollerError, type ChangeSourceServices } from './git-poller.js';
