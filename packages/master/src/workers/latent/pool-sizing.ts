/**
 * How many instances a latent pool starts and how many idle ones it may stop. A pool of `max`
 * instances keeps `min` of them running (warm) whatever the demand, starts one more for each
 * waiting request no running or starting instance will take, never beyond `max`, and lets an idle
 * instance go only while the others still make `min`.
 */

export interface PoolCount {
  min: number;
  max: number;
  /** Instances starting or running. */
  live: number;
}

/** Instances to start now: the warm shortfall, or one per unserved request (`unserved`), within max. */
export function instancesToStart(p: PoolCount, unserved: number): number {
  const room = Math.max(0, p.max - p.live);
  const warm = Math.max(0, p.min - p.live);
  return Math.min(room, Math.max(warm, Math.max(0, unserved)));
}

/** Of `idle` running instances with no build, how many may be stopped and still leave min running. */
export function idleToStop(p: PoolCount, idle: number): number {
  return Math.max(0, Math.min(idle, p.live - p.min));
}
