/**
 * Every change-source kind a config can name, by its `kind` (`changes.gitPoller({...})` gives
 * kind 'gitPoller'). The `changes` namespace of the config API, the YAML form, normalisation and
 * the master's start of each source all read this table, so a new change source is its folder
 * (a `ChangeSourceKind`, kind.ts) plus one line here, and its entry in the published schema
 * (packages/master/schema/master-config.schema.json, held to this table by config-schema.test.ts).
 */
import type { ChangeSourceKind } from './kind.js';
import { gitPollerKind } from './git-poller/kind.js';
import { mirrorPollerKind } from './mirror/kind.js';
import { gerritStreamKind } from './gerrit-stream/kind.js';
import { pbChangeSourceKind } from './pb/kind.js';

export const CHANGE_SOURCE_KINDS = {
  gitPoller: gitPollerKind,
  mirrorPoller: mirrorPollerKind,
  gerritStream: gerritStreamKind,
  pb: pbChangeSourceKind,
};

type Kinds = typeof CHANGE_SOURCE_KINDS;
type SpecOf<K> = K extends ChangeSourceKind<infer S, any> ? S : never;

/** What `changes.*` return: a spec of one of the kinds above. */
export type ChangeSourceSpec = { [K in keyof Kinds]: SpecOf<Kinds[K]> }[keyof Kinds];
export type ChangeSourceKindName = keyof Kinds;

/** The names of the kinds, for messages. */
export const CHANGE_SOURCE_KIND_NAMES = Object.keys(CHANGE_SOURCE_KINDS) as ChangeSourceKindName[];

/** The kind a spec names, or undefined for one this master does not have. */
export function changeSourceKindOf(kind: unknown): ChangeSourceKind<any, any> | undefined {
  return typeof kind === 'string' && Object.hasOwn(CHANGE_SOURCE_KINDS, kind) ? CHANGE_SOURCE_KINDS[kind as ChangeSourceKindName] : undefined;
}
