/**
 * Scheduler specs: what `schedulers.*` return in a config. A spec is plain data (plus user
 * functions); the master turns it into a running scheduler with `createScheduler` (./create.ts)
 * after `normalise` checked it.
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
  /** A cron expression ('0 3 * * 1-5', Sunday = 0); or give minute/hour/dayOfMonth/month/dayOfWeek like Buildbot. */
  cron?: string;
  /**
   * Buildbot's fields (defaults: minute 0, every hour, day, month and day of the week). A number,
   * a list of numbers or cron text. `dayOfWeek` counts from Monday = 0 as in Buildbot; day names
   * ('mon,wed') and ranges or steps in text are cron's (Sunday = 0), as Buildbot passes them on.
   */
  minute?: CronField; hour?: CronField; dayOfMonth?: CronField; month?: CronField; dayOfWeek?: CronField;
  /** IANA time zone, e.g. 'Europe/Berlin'. Default: the master's local time. */
  timeZone?: string;
  /** Build only when an important change arrived since the last build. Default false. */
  onlyIfChanged?: boolean;
  branch?: string | null;
  changeFilter?: ChangeFilterSpec;
  fileIsImportant?: (change: ChangeLike) => boolean;
}

export interface DependentOptions extends CommonSchedulerOptions {
  /** Name of the upstream scheduler: each of its buildsets that completes SUCCESS (or WARNINGS) starts ours with the same SourceStamps. */
  upstream: string;
}

export interface TryUserpassOptions extends Omit<CommonSchedulerOptions, 'overlap' | 'unchangedCodebases'> {
  /**
   * TCP port of the try endpoint: `mastro try --master http://host:PORT` (HTTP) and Buildbot's
   * `buildbot try --connect=pb --master host:PORT` (PB) on the same port. The worker PB port takes
   * the PB logins there (as Buildbot's pbmanager does; `mastro try` then needs a port of its own).
   * 0 picks a free port (logged).
   */
  port: number;
  /** Interface to listen on. Default '127.0.0.1'; use '0.0.0.0' to accept developers' machines. */
  host?: string;
  /** Accepted [username, password] pairs (HTTP Basic for `mastro try`, the PB login for `buildbot try`). */
  userpass: Array<[string, string]>;
  /** Largest accepted request (patch included), bytes. Default 10 MiB. */
  maxRequestBytes?: number;
}

export interface UpstreamOptions extends CommonSchedulerOptions {
  /** Base URL of the upstream master's web server (mastro or Buildbot), e.g. 'http://ci.example.org:8010'. */
  url: string;
  /** Name of the upstream builder whose successful builds we follow. */
  builder: string;
  /** Local codebase pinned at the upstream build's revision. Default ''. */
  codebase?: string;
  /** Seconds between polls of the upstream API. Default 30. */
  pollInterval?: number;
  /** Credentials for the upstream API: HTTP Basic user/password, or a bearer token. */
  auth?: { username: string; password: string } | { token: string };
  /** Seconds one request to the upstream may take. Default 30. */
  requestTimeout?: number;
}

export interface NightlyTriggerableOptions extends Omit<CommonSchedulerOptions, 'overlap' | 'concurrencyGroup' | 'unchangedCodebases'> {
  /** A cron expression; or minute/hour/dayOfMonth/month/dayOfWeek as for `nightly` (default: minute 0 of every hour). */
  cron?: string;
  minute?: CronField; hour?: CronField; dayOfMonth?: CronField; month?: CronField; dayOfWeek?: CronField;
  /** IANA time zone. Default: the master's local time. */
  timeZone?: string;
}

export interface TryJobdirOptions extends Omit<CommonSchedulerOptions, 'overlap' | 'concurrencyGroup' | 'unchangedCodebases'> {
  /** The job directory (`tmp`, `new`, `cur` are created in it); relative paths are from the master directory. */
  jobdir: string;
  /** Seconds between rescans of `<jobdir>/new`, the fallback when file-system events are lost. Default 10. */
  pollInterval?: number;
  /** Largest accepted job file (patch included), bytes; bigger ones are moved to `cur` unread. Default 10 MiB. */
  maxJobBytes?: number;
}

export type ImplementedSpec =
  | ({ kind: 'anyBranch' } & ChangeSchedulerOptions)
  | ({ kind: 'singleBranch' } & SingleBranchOptions)
  | ({ kind: 'force' } & ForceOptions)
  | ({ kind: 'triggerable' } & TriggerableOptions)
  | ({ kind: 'periodic' } & PeriodicOptions)
  | ({ kind: 'nightly' } & NightlyOptions)
  | ({ kind: 'dependent' } & DependentOptions)
  | ({ kind: 'tryUserpass' } & TryUserpassOptions)
  | ({ kind: 'upstream' } & UpstreamOptions)
  | ({ kind: 'nightlyTriggerable' } & NightlyTriggerableOptions)
  | ({ kind: 'tryJobdir' } & TryJobdirOptions);

export type SchedulerSpec = ImplementedSpec;
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
  dependent: (o: DependentOptions) => spec({ ...o, kind: 'dependent' as const }),
  tryUserpass: (o: TryUserpassOptions) => spec({ ...o, kind: 'tryUserpass' as const }),
  /** Same as tryUserpass (HTTP with user/password). */
  try: (o: TryUserpassOptions) => spec({ ...o, kind: 'tryUserpass' as const }),
  upstream: (o: UpstreamOptions) => spec({ ...o, kind: 'upstream' as const }),
  tryJobdir: (o: TryJobdirOptions) => spec({ ...o, kind: 'tryJobdir' as const }),
  nightlyTriggerable: (o: NightlyTriggerableOptions) => spec({ ...o, kind: 'nightlyTriggerable' as const }),
  /** Typed force-scheduler parameters. */
  params,
};
