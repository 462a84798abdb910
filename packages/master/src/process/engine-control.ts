/**
 * Control actions the API layer calls on the engine (Buildbot's JSON-RPC `stop`, `rebuild`, and the
 * lock view). `Master` implements it; www/data receive it at start-up.
 */
import type { LockState } from './locks.js';

export interface EngineControl {
  /** Stops a running build of this master (result CANCELLED). False when no such build runs here. */
  stopBuild(buildid: number, reason?: string): Promise<boolean>;
  /** Submits a new buildset with the build's sourcestamps and buildset properties, for its builder. */
  rebuild(buildid: number, reason?: string): Promise<{ bsid: number; brids: Record<number, number> }>;
  /** Locks with holders or waiters, for "why is this pending" views. */
  describeLocks(): LockState[];
}
