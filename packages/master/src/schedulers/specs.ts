/**
 * Scheduler specs: what `schedulers.*` return in a config. A spec is plain data (plus user
 * functions); the master turns it into a running scheduler with `createScheduler` (./create.ts)
 * after `normalise` checked it. The options all schedulers share are here; each kind's own are
 * in its file, its factory is its kind's (registry.ts).
 */
import type { ChangeFilterSpec, ChangeLike } from './change-filter.js';
import { params } from './force-params.js';
import { SCHEDULER_KINDS } from './registry.js';

/** A codebase's default position when a change for it is not part of the buildset. */
export interface CodebaseDefault { repository?: string; branch?: string | null; revision?: string | null; project?: string }

export interface CommonSchedulerOptions {
  name: string;
  builderNames: string[];
  /** Properties of every buildset this scheduler creates (source 'Scheduler'). */
  properties?: Record<string, unknown>;
  /** Codebases of the buildsets; each either a name or name -> defaults. Default: the changes' codebases. */
  codebases?: string[] | Record<string, CodebaseDefault>;
  /** Buildset priority (higher first). Default 0. */
  priority?: number;
  /** Buildset reason; default names the scheduler like Buildbot. */
  reason?: string;
  /**
   * What happens to this scheduler's earlier buildsets of the same concurrency group (and branch)
   * when it adds a new one: 'queue' (default) runs them all; 'collapse' cancels the pending
   * requests of the older ones (the newest runs); 'cancel-in-progress' also stops their running
   * builds (result CANCELLED, with a reason naming the newer buildset).
   */
  overlap?: OverlapPolicy;
  /** Name of the concurrency group; schedulers sharing a name supersede each other's buildsets. Default: the scheduler name. */
  concurrencyGroup?: string;
  /**
   * Where codebases without a change in the buildset are built: 'knownGood' (default) pins them at
   * the revision of the last successful build of the first builder for that codebase (branch head
   * until there is one); 'head' always builds the branch head (Buildbot's behaviour).
   */
  unchangedCodebases?: 'knownGood' | 'head';
}

export type OverlapPolicy = 'queue' | 'collapse' | 'cancel-in-progress';
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['queue', 'collapse', 'cancel-in-progress'];

export interface ChangeSchedulerOptions extends CommonSchedulerOptions {
  /** Seconds without new changes before building; null builds every change at once. Default null. */
  treeStableTimer?: number | null;
  changeFilter?: ChangeFilterSpec;
  /** Decides whether a change is worth a build (default: every change is important). */
  fileIsImportant?: (change: ChangeLike) => boolean;
  /** Only important changes go into a buildset (unimportant ones are dropped). Default false. */
  onlyImportant?: boolean;
}

export type CronField = number | string | number[];

/** What `schedulers.*` return, and the names of the kinds (registry.ts lists them). */
export type { SchedulerSpec, SchedulerKindName, AnyScheduler } from './registry.js';

// Each scheduler's own options live with it (a new scheduler is one file); they are named here too.
export type { SingleBranchOptions } from './single-branch.js';
export type { ForceOptions, ForceCodebaseOptions } from './force.js';
export type { TriggerableOptions } from './triggerable.js';
export type { PeriodicOptions } from './periodic.js';
export type { NightlyOptions } from './nightly.js';
export type { DependentOptions } from './dependent.js';
export type { TryUserpassOptions } from './try.js';
export type { UpstreamOptions } from './upstream.js';
export type { NightlyTriggerableOptions } from './nightly-triggerable.js';
export type { TryJobdirOptions } from './try-jobdir.js';

type Kinds = typeof SCHEDULER_KINDS;
type Factories = { readonly [K in keyof Kinds]: Kinds[K]['factory'] };

/** The `schedulers` namespace of the config API: one factory per kind, the `try` alias, and typed force parameters. */
export const schedulers = {
  ...(Object.fromEntries(Object.entries(SCHEDULER_KINDS).map(([name, kind]) => [name, kind.factory])) as Factories),
  /** Same as tryUserpass (HTTP with user/password). */
  try: SCHEDULER_KINDS.tryUserpass.factory,
  /** Typed force-scheduler parameters. */
  params,
};
