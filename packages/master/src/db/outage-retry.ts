/**
 * Retrying a database call through an outage (see outage.ts): with backoff from 250 ms to 5 s,
 * until it works or the outage has lasted `timeoutMs`. Any other error is thrown at once.
 */
import type { DatabaseHealth } from './health.js';
import { describeOutage, type DatabaseOutage } from './outage.js';
import { ErrorCodes } from '../errors/catalog.js';

export const OUTAGE_RETRY_FIRST_MS = 250;
export const OUTAGE_RETRY_MAX_MS = 5000;

/** The next wait after `previousMs` (0 before the first retry). */
export function nextRetryDelay(previousMs: number): number {
  return previousMs <= 0 ? OUTAGE_RETRY_FIRST_MS : Math.min(previousMs * 2, OUTAGE_RETRY_MAX_MS);
}

/** The database stayed unavailable for longer than the caller may wait. */
export class OutageTimeoutError extends Error {
  readonly code = ErrorCodes.DB_OUTAGE_TIMEOUT;
  constructor(readonly what: string, readonly outage: DatabaseOutage, readonly waitedMs: number, cause: unknown) {
    super(`${what} gave up after ${Math.round(waitedMs / 1000)} s: ${describeOutage(outage)}; raise db.outageTimeout to wait longer`, { cause });
    this.name = 'OutageTimeoutError';
  }
}

export interface OutageRetryOptions {
  health: DatabaseHealth;
  /** What the call does, for the error when giving up ("recording the build result"). */
  what: string;
  /** Longest the call keeps retrying, ms. */
  timeoutMs: number;
  /** Told of each failed attempt before its wait (attempt 1 is the first failure). */
  onRetry?(outage: DatabaseOutage, attempt: number, delayMs: number, err: unknown): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

export async function retryThroughOutage<T>(fn: () => Promise<T>, o: OutageRetryOptions): Promise<T> {
  let started = 0;
  let delay = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      const r = await fn();
      // A write that failed for the outage has now worked: the database is back.
      if (attempt > 1) o.health.worked();
      return r;
    } catch (err) {
      const outage = o.health.failed(err);
      if (!outage) throw err;
      const now = Date.now();
      if (!started) started = now;
      delay = nextRetryDelay(delay);
      if (now + delay - started > o.timeoutMs) throw new OutageTimeoutError(o.what, outage, now - started, err);
      o.onRetry?.(outage, attempt, delay, err);
      // Unref'd: a retry must not keep a stopping process alive.
      await sleep(delay);
    }
  }
}
