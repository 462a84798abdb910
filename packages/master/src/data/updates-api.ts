/**
 * The typed contract between the master's components and its state. Everything that changes state
 * goes through `Updates` (each call publishes Buildbot-shaped events on the bus); the engine reads
 * through `EngineReads` (row shapes close to the database, no HTTP shaping). Implemented by
 * `DataConnector` in ./connector.ts. Each resource declares its own writes and their inputs next to
 * its reads (resources/*.ts); `Updates` is all of them.
 */
import type { PendingReason, SourcedProperties } from './types.js';
import type { BuildRequestRow, BuildRow, BuildsetRow, ChangeRow, SourceStampRow } from '../db/rows.js';
import type { MasterUpdates } from './resources/masters.js';
import type { BuilderUpdates } from './resources/builders.js';
import type { WorkerUpdates } from './resources/workers.js';
import type { ChangeUpdates } from './resources/changes.js';
import type { BuildsetUpdates } from './resources/buildsets.js';
import type { BuildRequestUpdates } from './resources/buildrequests.js';
import type { BuildUpdates } from './resources/builds.js';
import type { StepUpdates } from './resources/steps.js';
import type { LogUpdates } from './resources/logs.js';
import type { StateUpdates } from './resources/state.js';
import type { SchedulerUpdates } from './resources/schedulers.js';
import type { LogOptions } from '../options/logs.js';

export type { BuildRequestRow, BuildRow, BuildsetRow, ChangeRow, PatchInput, SourceStampInput, SourceStampRow } from '../db/rows.js';
export type { AddChangeInput } from './resources/changes.js';
export type { AddBuildsetInput, AddBuildsetResult } from './resources/buildsets.js';
export type { AddBuildInput } from './resources/builds.js';
export type {
  MasterUpdates, BuilderUpdates, WorkerUpdates, ChangeUpdates, BuildsetUpdates, BuildRequestUpdates, BuildUpdates, StepUpdates,
  LogUpdates, StateUpdates, SchedulerUpdates,
};

/** Every write of the data layer: each resource's, as declared in resources/*.ts. */
export interface Updates extends MasterUpdates, BuilderUpdates, WorkerUpdates, ChangeUpdates, BuildsetUpdates, BuildRequestUpdates,
  BuildUpdates, StepUpdates, LogUpdates, StateUpdates, SchedulerUpdates {}

export interface EngineReads {
  /** Unclaimed, incomplete requests, in one query, ordered by priority desc then submitted_at. */
  getPendingBuildRequests(): Promise<BuildRequestRow[]>;
  getBuildRequest(brid: number): Promise<BuildRequestRow | undefined>;
  /** Requests claimed by `masterid` and not complete (for recovery after a crash). */
  getBuildRequestsClaimedBy(masterid: number): Promise<BuildRequestRow[]>;
  getBuildRequestsForBuildset(bsid: number): Promise<BuildRequestRow[]>;
  /** Builds of `masterid` with no complete_at (for recovery after a crash). */
  getUnfinishedBuilds(masterid: number): Promise<BuildRow[]>;
  getBuild(buildid: number): Promise<BuildRow | undefined>;
  getBuildProperties(buildid: number): Promise<SourcedProperties>;
  getBuildset(bsid: number): Promise<BuildsetRow | undefined>;
  /** The buildset's properties ({} for an unknown one); from memory once known (they never change). */
  getBuildsetProperties(bsid: number): Promise<SourcedProperties>;
  getSourceStamp(ssid: number): Promise<SourceStampRow | undefined>;
  getSourceStampsForBuildset(bsid: number): Promise<SourceStampRow[]>;
  getChange(changeid: number): Promise<ChangeRow | undefined>;
  /** Changes whose sourcestamp is one of the buildset's (for blamelists and `changes` of a build). */
  getChangesForBuildset(bsid: number): Promise<ChangeRow[]>;
  /** Authors of the changes of these sourcestamps, in change order (one cheap query per sourcestamp: a build's `owners`). */
  getChangeAuthorsForSourceStamps(ssids: readonly number[]): Promise<string[]>;
  /** Newest change id, or 0: pollers and schedulers resume after it. */
  getLatestChangeId(): Promise<number>;
  /** Revision of the newest successful build of `builderid` for `codebase`, or null. */
  getLastBuiltRevision(builderid: number, codebase: string): Promise<string | null>;
  /** Classifications stored for a scheduler: changeid -> important. */
  getChangeClassifications(schedulerid: number): Promise<Record<number, boolean>>;
  /** The whole text of a log from line `first` to `last` inclusive (complete lines). */
  getLogLines(logid: number, first: number, last: number): Promise<string>;
  /** Installs the engine's source of pending reasons; the buildrequests resource reports them. */
  setPendingReasonProvider(provider: ((brid: number) => PendingReason | null) | null): void;
}

/**
 * Options of the data layer: the log options of the master config (the `logMaxSize` family mirrors
 * Buildbot's), declared in options/logs.ts, and the log store's share of the `db` outage options.
 */
export type DataOptions = LogOptions & {
  /**
   * Bytes of log output held in memory, over all logs, while the database cannot be written (the
   * config's `db.outageBufferSize`); default 64 MiB. Lines beyond it are dropped with a marker line
   * in their log, and the append that dropped them fails with LogLinesDroppedError.
   */
  outageBufferSize?: number;
  /** How long a finishing log waits for the database to come back, ms (the config's `db.outageTimeout`); default 1 hour. */
  outageTimeoutMs?: number;
};
