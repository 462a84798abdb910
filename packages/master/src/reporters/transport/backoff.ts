/**
 * Delays between reconnects or retries: exponential growth with a cap, and jitter so many bots or
 * deliveries do not retry in lockstep. The same rule as the worker's (packages/worker/src/backoff.ts);
 * the master cannot import the worker package, so both should move to mastro-protocol together.
 */
export interface BackoffOptions {
  /** First delay, ms. @default 1000 */
  initialMs?: number;
  /** Largest delay, ms. @default 60000 */
  maxMs?: number;
  /** Growth per failed attempt. @default 2 */
  factor?: number;
  /** Fraction of the delay that is randomised, 0..1. @default 0.5 */
  jitter?: number;
}

/** The delay before attempt `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs ?? 60_000, (o.initialMs ?? 1000) * Math.pow(o.factor ?? 2, Math.max(0, attempt)));
  const jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
  return Math.round(base * (1 - jitter + jitter * random()));
}
