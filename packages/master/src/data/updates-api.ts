/**
 * The typed contract between the master's components and its state. Everything that changes state
 * goes through `Updates` (each call publishes Buildbot-shaped events on the bus); the engine reads
 * through `EngineReads` (row shapes close to the database, no HTTP shaping). Implemented by
 * `DataConnector` in ./connector.ts.
 */
import type { LogType, PendingReason, SourcedProperties } from './types.js';
import type { AbsentPoolWorker, WorkerPlatformColumns } from '../db/tables/workers.js';

export interface PatchInput {
  level: number; body: Buffer | string; subdir?: string | null; author?: string | null; comment?: string | null;
}

export interface SourceStampInput {
  codebase?: string; repository?: string; branch?: string | null; revision?: string | null;
  project?: string; patch?: PatchInput | null;
}

export interface AddChangeInput {
  author: string; committer?: string | null; files?: string[]; comments?: string; revision?: string | null;
  /** Epoch seconds; defaults to now. */
  when_timestamp?: number; branch?: string | null; category?: string | null; revlink?: string | null;
  /** Plain values; stored with source 'Change' like Buildbot. Values given as [value, source] keep their source. */
  properties?: Record<string, unknown>;
  repository?: string; codebase?: string; project?: string;
  /** Source of the change ('git', 'hg', ...): used to find the parent change. */
  src?: string | null;
}

export interface AddBuildsetInput {
  scheduler: string;
  /** Existing sourcestamp ids or sourcestamps to find-or-create (one per codebase). */
  sourcestamps: Array<number | SourceStampInput>;
  reason: string;
  properties?: SourcedProperties;
  builderids: number[];
  waited_for?: boolean;
  external_idstring?: string | null;
  parent_buildid?: number | null;
  parent_relationship?: string | null;
  priority?: number;
  /** Epoch seconds; defaults to now. */
  submitted_at?: number;
}

export interface AddBuildsetResult { bsid: number; brids: Record<number, number> }

export interface AddBuildInput {
  builderid: number; buildrequestid: number; workerid: number; masterid: number; state_string: string;
}

export interface Updates {
  // masters
  masterActive(name: string): Promise<number>;
  masterStopped(masterid: number): Promise<void>;
  // builders
  findBuilderId(name: string): Promise<number>;
  updateBuilderInfo(builderid: number, info: { description?: string | null; tags?: string[] }): Promise<void>;
  /** Records which builders this master runs (builders_masters); builders not listed are removed for it. */
  updateBuilderList(masterid: number, builderNames: string[]): Promise<void>;
  // workers
  findWorkerId(name: string): Promise<number>;
  workerConfigured(workerid: number, masterid: number, builderids: number[]): Promise<void>;
  /** `platform`: the pool, effective tags and os/arch the API shows and filters (mastro). */
  workerConnected(args: { workerid: number; masterid: number; workerinfo: Record<string, unknown>; platform?: WorkerPlatformColumns }): Promise<void>;
  /** Drops pool workers gone for their pool's forgetAfter from the workers list; returns the ids dropped (connected ones stay). */
  forgetWorkers(workerids: readonly number[]): Promise<number[]>;
  /** Pool workers connected nowhere and not forgotten, with when they were last seen (epoch s). */
  absentPoolWorkers(): Promise<AbsentPoolWorker[]>;
  workerDisconnected(args: { workerid: number; masterid: number }): Promise<void>;
  setWorkerState(workerid: number, state: { paused?: boolean; graceful?: boolean }): Promise<void>;
  // changes
  /**
   * Stores a change and publishes ['changes', id, 'new']. With `deferEvent` the event is published
   * after the event loop has done one round of I/O, so a caller that answers a request (a change
   * hook) replies before schedulers start building; changes deferred this way keep their order.
   */
  addChange(c: AddChangeInput, opts?: { deferEvent?: boolean }): Promise<number>;
  // buildsets and requests
  /**
   * Resolves before the buildset is necessarily committed (SQLite commits a turn's writes after the
   * turn; a scheduler waiting for that would add one buildset per turn): acknowledge it to the
   * outside world (a forced build's reply) only after `durable()`.
   */
  addBuildset(b: AddBuildsetInput): Promise<AddBuildsetResult>;
  /** Resolves once every write made so far is stored for good (see Db.durable). Optional for fakes. */
  durable?(): Promise<void>;
  /**
   * Completes the buildset (results = worst of its requests) when all its requests are complete.
   * `justCompleted`: requests the caller has just completed (spares reading them when they are all).
   */
  maybeBuildsetComplete(bsid: number, justCompleted?: readonly BuildRequestRow[]): Promise<void>;
  /** Atomic, all or nothing: false if any request is already claimed (or complete). */
  claimBuildRequests(brids: number[], claimedAt?: number): Promise<boolean>;
  unclaimBuildRequests(brids: number[]): Promise<void>;
  /** Marks claimed-by-this-master requests complete; false if any was not claimed by this master. */
  completeBuildRequests(brids: number[], results: number, completeAt?: number): Promise<boolean>;
  /** Completes an unclaimed request with CANCELLED (claims it first) and then its buildset if done. */
  cancelBuildRequest(brid: number, reason?: string): Promise<void>;
  setBuildRequestPriority(brid: number, priority: number): Promise<void>;
  // builds
  addBuild(b: AddBuildInput): Promise<{ buildid: number; number: number }>;
  setBuildStateString(buildid: number, s: string): Promise<void>;
  /** With `stateString`, also sets it in the same write (publishing the 'update' event first, as setBuildStateString does). */
  finishBuild(buildid: number, results: number, stateString?: string): Promise<void>;
  setBuildProperty(buildid: number, name: string, value: unknown, source: string): Promise<void>;
  setBuildProperties(buildid: number, props: SourcedProperties): Promise<void>;
  // steps
  /**
   * De-duplicates names like Buildbot: a second 'compile' becomes 'compile_1'. With `started`, the
   * step is inserted already started (one write; 'new' then 'started' are published), as
   * addStep + startStep would leave it.
   */
  addStep(s: { buildid: number; name: string; started?: boolean }): Promise<{ stepid: number; number: number; name: string }>;
  startStep(stepid: number): Promise<void>;
  setStepStateString(stepid: number, s: string): Promise<void>;
  addStepURL(stepid: number, name: string, url: string): Promise<void>;
  /** With `stateString`, also sets it in the same write (publishing the 'updated' event first, as setStepStateString does). */
  finishStep(stepid: number, results: number, hidden: boolean, stateString?: string): Promise<void>;
  // logs
  addLog(l: { stepid: number; name: string; type: LogType }): Promise<number>;
  /**
   * Appends complete lines (each ending in '\n'): text, or the UTF-8 bytes of whole lines (what a
   * worker sent, kept as bytes). With `stream` ('o' stdout, 'e' stderr, 'h' header) the lines are of
   * that stream, read back with it as their prefix, as Buildbot stores 's' logs; without it the
   * content is taken as given (already prefixed for 's' logs). Lines beyond `logMaxSize` are dropped,
   * keeping the head and the last `logMaxTailSize` bytes with a marker line between. Publishes
   * ['logs', id, 'append']. While the database cannot be written the lines are held in memory and
   * stored once it is back; when `outageBufferSize` is full they are dropped (marked in the log) and
   * this throws LogLinesDroppedError.
   */
  appendLog(logid: number, content: string | readonly Buffer[], stream?: 'o' | 'e' | 'h'): Promise<void>;
  finishLog(logid: number): Promise<void>;
  compressLog(logid: number): Promise<void>;
  // persisted state (schedulers, pollers)
  getState(objectName: string, className: string, key: string, dflt?: unknown): Promise<unknown>;
  setState(objectName: string, className: string, key: string, value: unknown): Promise<void>;
  // schedulers
  findSchedulerId(name: string): Promise<number>;
  /** Claims the scheduler for `masterid` (null releases it); false if another active master owns it. */
  trySetSchedulerMaster(schedulerid: number, masterid: number | null): Promise<boolean>;
  setSchedulerEnabled(schedulerid: number, enabled: boolean): Promise<void>;
  /** Records changes a scheduler classified as important or not (scheduler_changes) for tree-stable timers. */
  classifyChanges(schedulerid: number, classifications: Record<number, boolean>): Promise<void>;
  flushChangeClassifications(schedulerid: number, lessThan?: number): Promise<void>;
}

// ---- rows the engine reads (database shapes, not REST shapes) ----

export interface BuildRequestRow {
  id: number; buildsetid: number; builderid: number; priority: number; submitted_at: number;
  waited_for: boolean; complete: boolean; results: number | null; complete_at: number | null;
  claimed_by_masterid: number | null; claimed_at: number | null;
}

export interface BuildsetRow {
  id: number; external_idstring: string | null; reason: string; submitted_at: number; complete: boolean;
  complete_at: number | null; results: number | null; parent_buildid: number | null;
  parent_relationship: string | null; properties: SourcedProperties; sourcestampids: number[];
}

export interface SourceStampRow {
  ssid: number; branch: string | null; revision: string | null; repository: string; project: string;
  codebase: string; created_at: number;
  patch: { patchid: number; level: number; body: Buffer; subdir: string | null; author: string | null; comment: string | null } | null;
}

export interface ChangeRow {
  changeid: number; author: string; committer: string | null; files: string[]; comments: string;
  revision: string | null; when_timestamp: number; branch: string | null; category: string | null;
  revlink: string | null; properties: SourcedProperties; repository: string; codebase: string;
  project: string; sourcestampid: number; parent_changeids: number[];
}

export interface BuildRow {
  id: number; number: number; builderid: number; buildrequestid: number; workerid: number; masterid: number;
  started_at: number; complete_at: number | null; results: number | null; state_string: string;
}

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

/** Options of the data layer (the `logMaxSize` family mirrors Buildbot's master config). */
export interface DataOptions {
  /** Bytes kept per log before truncation; default 64 MiB. null = unlimited. */
  logMaxSize?: number | null;
  /** Bytes of the end of a truncated log kept after the marker; default 1 MiB. 0 keeps none. */
  logMaxTailSize?: number;
  /** Target size of one stored (uncompressed) log chunk; default 256 KiB. */
  logChunkSize?: number;
  /** How long appended lines may wait in memory to be coalesced into one chunk row; default 50 ms. */
  logFlushDelayMs?: number;
  /** Lines are compressed with zlib when a chunk is at least this big; default 1 KiB. */
  logCompressMinSize?: number;
  /**
   * Bytes of log output held in memory, over all logs, while the database cannot be written (the
   * config's `db.outageBufferSize`); default 64 MiB. Lines beyond it are dropped with a marker line
   * in their log, and the append that dropped them fails with LogLinesDroppedError.
   */
  outageBufferSize?: number;
  /** How long a finishing log waits for the database to come back, ms (the config's `db.outageTimeout`); default 1 hour. */
  outageTimeoutMs?: number;
}
