/** Reconnect delays: exponential growth with a cap, and jitter so a fleet does not reconnect in lockstep. */
export interface BackoffOptions {
  /** First delay, ms (default 500). */
  initialMs?: number;
  /** Largest delay, ms (default 30 000; Buildbot's `--maxdelay` in seconds maps here). */
  maxMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Fraction of the delay that is randomised, 0..1 (default 0.5). */
  jitter?: number;
}

export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = o.initialMs ?? 500;
  const max = o.maxMs ?? 30_000;
  const base = Math.min(max, initial * Math.pow(o.factor ?? 2, Math.max(0, attempt)));
  const jitter = Math.min(1, Math.max(0, o.jitter ?? 0.5));
  return Math.round(base * (1 - jitter) + base * jitter * random());
}
