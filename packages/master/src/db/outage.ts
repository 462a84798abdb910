/**
 * Which database failures are an outage: the database is there but cannot be used for now (the
 * PostgreSQL server is down or restarting, a connection was cut, the disk under the database is
 * full, SQLite could not do its I/O). Such a failure says nothing about the write itself, so the
 * write can be kept and tried again once the database is back; every other error (a constraint, a
 * bad query) would fail the same way again and is reported at once.
 */

export type OutageKind = 'unreachable' | 'disk-full';

export interface DatabaseOutage {
  readonly kind: OutageKind;
  /** The failure's code (ECONNREFUSED, SQLITE_FULL, 57P01, ...) or its message when it has none. */
  readonly reason: string;
}

/** Socket errors of a connection to a database server. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'ENOTFOUND', 'EAI_AGAIN']);
const DISK_FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL', '53100' /* PostgreSQL disk_full */]);
/**
 * PostgreSQL SQLSTATEs that mean "not now": class 08 (connection exception), 57P01-57P03 (admin or
 * crash shutdown, cannot connect now: starting up or shutting down), 53200/53300 (out of memory,
 * too many connections).
 */
const PG_NOT_NOW = /^(08...|57P0[123]|53[23]00)$/;
/** What node-postgres throws without a code when a connection goes away. */
const PG_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The error, its causes and (for an AggregateError, as a connect to several addresses gives) its parts. */
function* chain(err: unknown): Generator<unknown> {
  const seen = new Set<unknown>();
  const todo = [err];
  while (todo.length) {
    const e = todo.shift();
    if (e === undefined || e === null || seen.has(e)) continue;
    seen.add(e);
    yield e;
    if (typeof e === 'object') {
      todo.push((e as { cause?: unknown }).cause);
      const parts = (e as { errors?: unknown }).errors;
      if (Array.isArray(parts)) todo.push(...parts);
    }
  }
}

/** The outage `err` stands for, or null when it is an error of the call itself. */
export function outageOf(err: unknown): DatabaseOutage | null {
  for (const e of chain(err)) {
    const code = codeOf(e);
    if (code !== undefined) {
      if (DISK_FULL_CODES.has(code)) return { kind: 'disk-full', reason: code };
      if (NETWORK_CODES.has(code) || PG_NOT_NOW.test(code)) return { kind: 'unreachable', reason: code };
      // SQLite could not read or write its files, or another process holds the lock for longer than busy_timeout.
      if (/^SQLITE_(IOERR|BUSY|LOCKED|CANTOPEN)/.test(code)) return { kind: 'unreachable', reason: code };
    }
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && PG_CONNECTION_MESSAGES.some((m) => message.includes(m))) return { kind: 'unreachable', reason: message };
  }
  return null;
}

/** One sentence for people: what is wrong with the database, and what happens or what to do. */
export function describeOutage(o: DatabaseOutage): string {
  return o.kind === 'disk-full'
    ? `the disk holding the database is full (${o.reason}); free some space there: the master goes on by itself once it can write again`
    : `the database is unreachable (${o.reason}); the master keeps running and goes on by itself once the database is back`;
}
