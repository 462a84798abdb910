/**
 * Scheduler specs: what `schedulers.*` return in a config. A spec is plain data (plus user
 * functions); the master turns it into a running scheduler with `createScheduler` (./create.ts)
 * after `normalise` checked it. Kinds named by issue 4 that are not implemented yet still have a
 * factory, so a config using them gets a clear config error instead of a crash.
 */
import { brand } from '../config/brand.js';
import type { ChangeFilterSpec, ChangeLike } from './change-filter.js';
import { params, type ForceParam } from './force-params.js';

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
}

export interface ChangeSchedulerOptions extends CommonSchedulerOptions {
  /** Seconds without new changes before building; null builds every change at once. Default null. */
  treeStableTimer?: number | null;
  changeFilter?: ChangeFilterSpec;
  /** Decides whether a change is worth a build (default: every change is important). */
  fileIsImportant?: (change: ChangeLike) => boolean;
  /** Only important changes go into a buildset (unimportant ones are dropped). Default false. */
  onlyImportant?: boolean;
}

export interface SingleBranchOptions extends ChangeSchedulerOptions {
  /** The branch to watch; `null` means the default branch. Required unless changeFilter is given. */
  branch?: string | null;
}

export interface ForceCodebaseOptions {
  name: string;
  /** Defaults or full parameters for branch / revision / repository / project. */
  branch?: string | ForceParam;
  revision?: string | ForceParam;
  repository?: string | ForceParam;
  project?: string | ForceParam;
}

export interface ForceOptions extends Omit<CommonSchedulerOptions, 'codebases' | 'reason'> {
  /** Reason field; a string sets the default. Default "force build". */
  reason?: string | ForceParam;
  /** Who forced; a string sets the default. */
  username?: string | ForceParam;
  /** One entry per codebase (names or options). Default: one codebase '' with branch and revision fields. */
  codebases?: (string | ForceCodebaseOptions)[];
  /** Extra parameters that become build properties. */
  parameters?: ForceParam[];
  buttonName?: string;
  label?: string;
}

export interface TriggerableOptions extends Omit<CommonSchedulerOptions, 'reason'> {
  reason?: string;
}

export interface PeriodicOptions extends CommonSchedulerOptions {
  /** Seconds between buildsets. */
  periodicBuildTimer: number;
  branch?: string | null;
}

export type CronField = number | string | number[];

export interface NightlyOptions extends CommonSchedulerOptions {
  /** A cron expression ('0 3 * * 1-5'); or give minute/hour/dayOfMonth/month/dayOfWeek like Buildbot. */
  cron?: string;
  minute?: CronField; hour?: CronField; dayOfMonth?: CronField; month?: CronField; dayOfWeek?: CronField;
  /** IANA time zone, e.g. 'Europe/Berlin'. Default: the master's local time. */
  timeZone?: string;
  /** Build only when an important change arrived since the last build. Default false. */
  onlyIfChanged?: boolean;
  branch?: string | null;
  changeFilter?: ChangeFilterSpec;
  fileIsImportant?: (change: ChangeLike) => boolean;
}

export type ImplementedSpec =
  | ({ kind: 'anyBranch' } & ChangeSchedulerOptions)
  | ({ kind: 'singleBranch' } & SingleBranchOptions)
  | ({ kind: 'force' } & ForceOptions)
  | ({ kind: 'triggerable' } & TriggerableOptions)
  | ({ kind: 'periodic' } & PeriodicOptions)
  | ({ kind: 'nightly' } & NightlyOptions);

export const NOT_YET_IMPLEMENTED = ['dependent', 'try', 'tryJobdir', 'tryUserpass', 'nightlyTriggerable'] as const;
export type NotYetImplementedKind = (typeof NOT_YET_IMPLEMENTED)[number];

export type SchedulerSpec = ImplementedSpec | ({ kind: NotYetImplementedKind } & CommonSchedulerOptions & Record<string, unknown>);
export type SchedulerKind = SchedulerSpec['kind'];

function spec<S extends SchedulerSpec>(s: S): S {
  return brand('scheduler', s);
}

/** The `schedulers` namespace of the config API. */
export const schedulers = {
  anyBranch: (o: ChangeSchedulerOptions) => spec({ ...o, kind: 'anyBranch' as const }),
  singleBranch: (o: SingleBranchOptions) => spec({ ...o, kind: 'singleBranch' as const }),
  force: (o: ForceOptions) => spec({ ...o, kind: 'force' as const }),
  triggerable: (o: TriggerableOptions) => spec({ ...o, kind: 'triggerable' as const }),
  periodic: (o: PeriodicOptions) => spec({ ...o, kind: 'periodic' as const }),
  nightly: (o: NightlyOptions) => spec({ ...o, kind: 'nightly' as const }),
  // Issue 4: accepted by the type system so the error is a config error with a path, not a crash.
  dependent: (o: CommonSchedulerOptions & { upstream: string }) => spec({ ...o, kind: 'dependent' as const }),
  try: (o: CommonSchedulerOptions & Record<string, unknown>) => spec({ ...o, kind: 'try' as const }),
  tryJobdir: (o: CommonSchedulerOptions & Record<string, unknown>) => spec({ ...o, kind: 'tryJobdir' as const }),
  tryUserpass: (o: CommonSchedulerOptions & Record<string, unknown>) => spec({ ...o, kind: 'tryUserpass' as const }),
  nightlyTriggerable: (o: CommonSchedulerOptions & Record<string, unknown>) => spec({ ...o, kind: 'nightlyTriggerable' as const }),
  /** Typed force-scheduler parameters. */
  params,
};
