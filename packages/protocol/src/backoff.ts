/**
 * Delays between reconnects or retries, shared by the worker (reconnecting to its master) and the
 * master (a reporter's IRC bot reconnecting, deliveries retried): exponential growth with a cap, and
 * jitter so a fleet of workers or bots does not retry in lockstep.
 *
 * The defaults are the worker's (Buildbot's worker reconnects from about half a second, capped by
 * `--maxdelay`); a caller with other defaults spreads its own under the caller's options
 * (`{ ...MY_DEFAULTS, ...options }`).
 */
export interface BackoffOptions {
  /** First delay, ms. @default 500 */
  initialMs?: number;
  /** Largest delay, ms (Buildbot's `--maxdelay` in seconds maps here). @default 30000 */
  maxMs?: number;
  /** Growth per failed attempt. @default 2 */
  factor?: number;
  /** Fraction of the delay that is randomised, 0..1. @default 0.5 */
  jitter?: number;
}

/** The delay before attempt `attempt` (0 for the first retry), between (1 - jitter) and 1 times the base. */
export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = Math.min(o.maxMs ?? 30_000, (o.initialMs ?? 500) * (o.factor ?? 2) ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
  return Math.round(base * (1 - jitter + jitter * random()));
}
