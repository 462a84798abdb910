/**
 * Every scheduler kind a config can name, by its `kind` (`schedulers.anyBranch({...})` gives
 * 'anyBranch'). The `schedulers` namespace of the config API, the YAML form, normalisation and
 * the master's start of each scheduler all read this table, so a new scheduler is its file (a
 * `SchedulerKind`, kind.ts) plus one line here, and its definition in the published schema
 * (held to the kind's `keys` by config-schema.test.ts).
 */
import type { SchedulerKind } from './kind.js';
import { anyBranchKind } from './any-branch.js';
import { singleBranchKind } from './single-branch.js';
import { forceKind } from './force.js';
import { triggerableKind } from './triggerable.js';
import { periodicKind } from './periodic.js';
import { dependentKind } from './dependent.js';
import { tryUserpassKind } from './try.js';
import { upstreamKind } from './upstream.js';
import { nightlyKind } from './nightly.js';
import { nightlyTriggerableKind } from './nightly-triggerable.js';
import { tryJobdirKind } from './try-jobdir.js';

export const SCHEDULER_KINDS = {
  anyBranch: anyBranchKind,
  singleBranch: singleBranchKind,
  force: forceKind,
  triggerable: triggerableKind,
  periodic: periodicKind,
  dependent: dependentKind,
  tryUserpass: tryUserpassKind,
  upstream: upstreamKind,
  nightly: nightlyKind,
  nightlyTriggerable: nightlyTriggerableKind,
  tryJobdir: tryJobdirKind,
};

type Kinds = typeof SCHEDULER_KINDS;
type SpecOf<K> = K extends SchedulerKind<infer S, any, any> ? S : never;
type InstanceOf<K> = K extends SchedulerKind<any, any, infer I> ? I : never;

/** What `schedulers.*` return: a spec of one of the kinds above. */
export type SchedulerSpec = { [K in keyof Kinds]: SpecOf<Kinds[K]> }[keyof Kinds];
export type SchedulerKindName = keyof Kinds;
/** A running scheduler of any kind. */
export type AnyScheduler = { [K in keyof Kinds]: InstanceOf<Kinds[K]> }[keyof Kinds];

export const SCHEDULER_KIND_NAMES = Object.keys(SCHEDULER_KINDS) as SchedulerKindName[];

/** The kind a spec names, or undefined for one this master does not have. */
export function schedulerKindOf(kind: unknown): SchedulerKind<any, any, AnyScheduler> | undefined {
  return typeof kind === 'string' && Object.hasOwn(SCHEDULER_KINDS, kind) ? SCHEDULER_KINDS[kind as SchedulerKindName] : undefined;
}
