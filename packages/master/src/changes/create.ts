/** Turns a normalised change-source spec into a running change source (the master starts/stops it). */
import type { ChangeSource } from './kind.js';
import { CHANGE_SOURCE_KIND_NAMES, changeSourceKindOf, type ChangeSourceSpec } from './registry.js';
import type { ChangeSourceServices } from './services.js';

export type AnyChangeSource = ChangeSource;

function build(spec: ChangeSourceSpec, services: ChangeSourceServices): ChangeSource {
  const kind = changeSourceKindOf(spec.kind);
  if (!kind) throw new Error(`unknown change source kind '${(spec as { kind: string }).kind}'; kinds are: ${CHANGE_SOURCE_KIND_NAMES.join(', ')}`);
  return kind.create(spec, services);
}

/**
 * Creates the source and makes it visible to the `changesources` API resource while it runs
 * (registered in `services.registry`, the master's running.ts registry, on start; removed on stop).
 */
export function createChangeSource(spec: ChangeSourceSpec, services: ChangeSourceServices): ChangeSource {
  const source = build(spec, services);
  const start = source.start.bind(source);
  const stop = source.stop.bind(source);
  let unregister: (() => void) | null = null;
  source.start = async () => { unregister = services.registry?.register(spec.kind, source) ?? null; await start(); };
  source.stop = async () => { unregister?.(); unregister = null; await stop(); };
  return source;
}

export type { ChangeSourceServices } from './services.js';
export { GitPoller, GitPollerError } from './git-poller/poller.js';
export { MirrorPoller } from './mirror/poller.js';
export { GerritStreamSource } from './gerrit-stream/source.js';
export { PbChangeSource } from './pb/pb-change-source.js';
