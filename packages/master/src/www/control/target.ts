/**
 * What control actions need from the running master, as one small interface so the HTTP layer
 * can be tested against a real master or a stand-in. `masterControlTarget` adapts a `Master`.
 */
import type { AddBuildsetResult } from '../../data/updates-api.js';
import type { ForcePlan, ForceRequest } from '../../schedulers/force.js';

/**
 * A force scheduler as the API sees it (schedulers/force.ts: ForceScheduler). The API plans a
 * request, authorizes the plan (the builders and branches the build would really get), then submits it.
 */
export interface ForceSchedulerLike {
  readonly name: string;
  plan(req: ForceRequest): ForcePlan;
  submit(plan: ForcePlan): Promise<AddBuildsetResult>;
  toApi(): Record<string, unknown>;
}

export interface ControlTarget {
  readonly masterid: number;
  forceSchedulers(): ForceSchedulerLike[];
  stopBuild(buildid: number, reason: string): Promise<boolean>;
  rebuild(buildid: number, reason?: string): Promise<AddBuildsetResult>;
  /** Stops or resumes giving new builds to a worker (running builds continue). */
  setWorkerPaused(workerName: string, paused: boolean): void;
  /** Graceful worker shutdown: no new builds; once its running builds end, the worker is asked to shut down. */
  shutdownWorkerGracefully(workerName: string): Promise<boolean>;
  /** Drops the worker's connection now (its running builds end RETRY). False when not connected. */
  killWorker(workerName: string, reason: string): boolean;
  /** Graceful master shutdown (resolves when the shutdown has started). */
  stopMaster(): Promise<void>;
  reconfig(): Promise<{ ok: boolean; issues: Array<{ path: string; message: string }> }>;
}
