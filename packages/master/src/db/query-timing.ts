/**
 * Tells a listener how long each database query took (the master's /metrics histogram of query
 * times). Queries run two ways: through Kysely's executor (every PostgreSQL query, SQLite queries
 * inside Kysely transactions), timed by Kysely's own `log` hook, and as direct statements on the
 * embedded SQLite connection (prepared.ts), timed where they run. With no listener nothing is timed.
 */
import type { LogEvent } from 'kysely';

export type QueryListener = (seconds: number, failed: boolean) => void;

export class QueryTiming {
  private listener: QueryListener | null = null;

  /** Whether anyone listens: the direct path reads the clock only then. */
  get active(): boolean { return this.listener !== null; }

  /** Sets (or with null removes) the one listener. */
  listen(listener: QueryListener | null): void { this.listener = listener; }

  observe(seconds: number, failed: boolean): void { this.listener?.(seconds, failed); }

  /** Kysely's `log` option. */
  readonly kyselyLog = (event: LogEvent): void => {
    this.listener?.(event.queryDurationMillis / 1000, event.level === 'error');
  };
}

/** The timing of each root Kysely instance whose direct SQLite statements are timed (see prepared.ts). */
const timings = new WeakMap<object, QueryTiming>();

export function setQueryTiming(k: object, t: QueryTiming): void { timings.set(k, t); }
export function queryTimingOf(k: object): QueryTiming | undefined { return timings.get(k); }
