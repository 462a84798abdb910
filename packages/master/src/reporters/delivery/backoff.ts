/**
 * When to try a failed delivery again: exponential backoff from `initialMs`, doubling per attempt
 * up to `maxMs`, with "equal jitter" (half the delay fixed, half random) so the reports queued
 * behind one outage do not all come back at the same instant. A wait the service asked for (a
 * rate limit, `Retry-After`) is honoured when longer.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** The delay before attempt `attempts + 1`, after `attempts` failed attempts (>= 1). */
export function retryDelay(attempts: number, o: BackoffOptions, random: () => number = Math.random, askedMs = 0): number {
  const exp = Math.min(o.maxMs, o.initialMs * 2 ** Math.max(0, Math.min(attempts - 1, 30)));
  const jittered = exp / 2 + random() * (exp / 2);
  return Math.max(Math.round(jittered), askedMs);
}
