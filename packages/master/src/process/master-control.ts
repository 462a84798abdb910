/**
 * What control actions need from a running master (Buildbot's JSON-RPC `force`, `stop`, `rebuild`,
 * worker pause/shutdown/kill, master stop/reconfig), as one small interface next to the engine:
 * `Master` (src/master.ts) implements it, the composition root hands it to the HTTP layer, and
 * www/ calls it, so www/ never imports the master and can be tested against a stand-in.
 */
import type { AddBuildsetResult, SourceStampInput } from '../data/updates-api.js';
import type { SourcedProperties } from '../data/types.js';
import type { ConfigIssue } from '../model/config-errors.js';

/** What a force request carries (schedulers/force.ts: ForceScheduler takes it). */
export interface ForceRequest {
  /**
   * Who is logged in and forced the build. Like Buildbot, a real user is the owner whatever the
   * form says (nobody can force in someone else's name); when it is missing or 'anonymous' the
   * form's `username` field is the owner (empty when the field was left empty).
   */
  owner?: string;
  /** Field values by full name: `reason`, `username`, `branch`, `revision`, `repository`, `project`
   *  (for codebase 'lib': `lib_branch`, ...) and the extra parameters' names. */
  params?: Record<string, unknown>;
  /** A subset of the scheduler's builders (default: all of them). */
  builderNames?: string[];
}

/**
 * A force request with every field parsed: exactly the buildset `submit` would add. The API
 * authorizes this (its builders and the branches of its sourcestamps), not what the caller sent:
 * a fixed branch parameter ignores the submitted value, and an empty field takes its default.
 */
export interface ForcePlan {
  readonly builderNames: readonly string[];
  readonly sourcestamps: readonly SourceStampInput[];
  readonly reason: string;
  readonly owner: string;
  readonly properties: Readonly<SourcedProperties>;
  /** Field errors (field -> message); `submit` refuses a plan that has any. */
  readonly errors: Readonly<Record<string, string>>;
}

/**
 * A force scheduler as control callers see it (schedulers/force.ts: ForceScheduler). The API
 * plans a request, authorizes the plan (the builders and branches the build would really get),
 * then submits it.
 */
export interface ForceSchedulerLike {
  readonly name: string;
  plan(req: ForceRequest): ForcePlan;
  submit(plan: ForcePlan): Promise<AddBuildsetResult>;
  toApi(): Record<string, unknown>;
}

export interface MasterControl {
  readonly masterid: number;
  /** The running force schedulers. */
  forceSchedulers(): ForceSchedulerLike[];
  /** Stops a running build of this master (result CANCELLED). False when no such build runs here. */
  stopBuild(buildid: number, reason: string): Promise<boolean>;
  /** Submits a new buildset with the build's sourcestamps and buildset properties, for its builder. */
  rebuild(buildid: number, reason?: string): Promise<AddBuildsetResult>;
  /** Stops or resumes giving new builds to a worker (running builds continue). */
  setWorkerPaused(workerName: string, paused: boolean): void;
  /** Graceful worker shutdown: no new builds; once its running builds end, the worker is asked to shut down. */
  shutdownWorkerGracefully(workerName: string): Promise<boolean>;
  /** Drops the worker's connection now (its running builds end RETRY). False when not connected. */
  killWorker(workerName: string, reason: string): boolean;
  /** Graceful master shutdown (resolves when the shutdown has started). */
  stopMaster(): Promise<void>;
  /** Applies the config file again; a broken one is refused with its issues and the running one stays. */
  reconfig(): Promise<{ ok: boolean; issues: readonly ConfigIssue[] }>;
}
