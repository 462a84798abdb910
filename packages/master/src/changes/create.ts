/** Turns a normalised change-source spec into a running change source (the master starts/stops it). */
import { GitPoller, type ChangeSourceServices } from './git-poller.js';
import { MirrorPoller, createMirrorPoller } from './mirror/poller.js';
import { GerritStreamSource, createGerritStreamSource } from './gerrit-stream.js';
import { PbChangeSource } from './pb/pb-change-source.js';
import type { ResolvedPbChangeSourceSpec } from './pb/options.js';
import { registerChangeSource } from './registry.js';
import type { ChangeSourceSpec } from './specs.js';

export type AnyChangeSource = GitPoller | MirrorPoller | GerritStreamSource | PbChangeSource;

function build(spec: ChangeSourceSpec, services: ChangeSourceServices): AnyChangeSource {
  switch (spec.kind) {
    case 'gitPoller': return new GitPoller(spec, services);
    case 'mirrorPoller': return createMirrorPoller(spec, { ...services, masterDir: services.masterDir });
    case 'gerritStream': return createGerritStreamSource(spec, services);
    // normaliseChangeSource filled the defaults.
    case 'pb': return new PbChangeSource(spec as ResolvedPbChangeSourceSpec, services);
    default: throw new Error(`unknown change source kind '${(spec as { kind: string }).kind}'`);
  }
}

/**
 * Creates the source and makes it visible to the `changesources` API resource while it runs
 * (registered on start, removed on stop).
 */
export function createChangeSource(spec: ChangeSourceSpec, services: ChangeSourceServices): AnyChangeSource {
  const source = build(spec, services);
  const start = source.start.bind(source);
  const stop = source.stop.bind(source);
  let unregister: (() => void) | null = null;
  source.start = async () => { unregister = registerChangeSource(spec.kind, source); await start(); };
  source.stop = async () => { unregister?.(); unregister = null; await stop(); };
  return source;
}

export { GitPoller, GitPollerError, type ChangeSourceServices } from './git-poller.js';
export { MirrorPoller } from './mirror/poller.js';
export { GerritStreamSource } from './gerrit-stream.js';
export { PbChangeSource } from './pb/pb-change-source.js';
