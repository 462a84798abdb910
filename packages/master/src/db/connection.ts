/**
 * Opens the state database from a URL and runs pending migrations:
 *   sqlite:relative/or/abs.sqlite   embedded SQLite (relative to `baseDir`), WAL, synchronous=NORMAL
 *   sqlite::memory:                 in-memory SQLite (tests)
 *   postgresql://user:pw@host/db    PostgreSQL (also postgres://)
 */
import { isAbsolute, resolve } from 'node:path';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Schema } from './schema.js';
import { migrate, type Engine } from './migrations.js';
import { cachingSqliteDatabase } from './sqlite-statement-cache.js';
import { groupCommitSqliteDatabase } from './sqlite-group-commit.js';
import { useDirectSqlite } from './prepared.js';
import { redactUrl } from '../util/url-credentials.js';
import { ErrorCodes } from '../errors/catalog.js';
import { QueryTiming, setQueryTiming } from './query-timing.js';

export interface OpenDatabaseOptions {
  /** Directory that relative SQLite paths are resolved against; default the current directory. */
  baseDir?: string;
  /** SQLite: milliseconds a writer waits for a lock held by another process; default 5000. */
  busyTimeoutMs?: number;
  /** PostgreSQL: schema to use (created if missing); default the server's search_path. Tests use one per test. */
  schema?: string;
  /** PostgreSQL: connection pool size; default 10. */
  poolSize?: number;
  /** SQLite: distinct SQL texts kept prepared (0 disables the cache); default 512. */
  statementCacheSize?: number;
  /**
   * SQLite: commit all writes of one event-loop turn together (see sqlite-group-commit.ts); default
   * true. false commits every statement on its own (slower; a query resolves only once stored).
   */
  groupCommit?: boolean;
  /**
   * PostgreSQL: told when an idle pooled connection fails (the server restarted, a proxy cut it).
   * The pool replaces such connections by itself; without a listener the error would end the
   * process. Default: a process warning.
   */
  onConnectionError?: (err: Error) => void;
}

export interface OpenedDatabase {
  kysely: Kysely<Schema>;
  engine: Engine;
  close(): Promise<void>;
  /** Resolves once every write made so far is committed (group commit); at once otherwise. */
  durable(): Promise<void>;
  /** How long each query takes, for whoever listens (the master's metrics). */
  queryTiming: QueryTiming;
}

export class DatabaseUrlError extends Error {
  readonly code = ErrorCodes.DB_URL;
  constructor(readonly url: string, reason: string) {
    super(`invalid database URL ${JSON.stringify(redactUrl(url))}: ${reason}. Use sqlite:state.sqlite, sqlite::memory: or postgresql://user:password@host/dbname`);
  }
}

export async function openConnection(url: string, opts: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  let kysely: Kysely<Schema>;
  let engine: Engine;
  let durable = (): Promise<void> => Promise.resolve();
  const queryTiming = new QueryTiming();
  if (url.startsWith('sqlite:')) {
    const { default: Database } = await import('better-sqlite3');
    const path = url.slice('sqlite:'.length);
    if (!path) throw new DatabaseUrlError(url, 'missing file path after "sqlite:"');
    const file = path === ':memory:' ? ':memory:' : isAbsolute(path) ? path : resolve(opts.baseDir ?? process.cwd(), path);
    const sqlite = new Database(file, { timeout: opts.busyTimeoutMs ?? 5000 });
    // WAL lets readers proceed during writes; NORMAL sync is durable across process crashes (not power loss).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    // `__contains` filters are case-sensitive in Buildbot and on PostgreSQL; make LIKE agree.
    sqlite.pragma('case_sensitive_like = ON');
    const cached = cachingSqliteDatabase(sqlite, opts.statementCacheSize);
    const database = opts.groupCommit === false ? cached : groupCommitSqliteDatabase(sqlite, cached);
    kysely = new Kysely<Schema>({ dialect: new SqliteDialect({ database }), log: queryTiming.kyselyLog });
    setQueryTiming(kysely, queryTiming);
    if ('durable' in database) {
      durable = () => database.durable();
      // Hot prepared queries and transactions run on the connection without Kysely's executor (prepared.ts).
      useDirectSqlite(kysely, database);
    }
    engine = 'sqlite';
  } else if (/^postgres(ql)?:\/\//.test(url)) {
    const pg = await import('pg');
    const { Pool, types } = pg.default;
    const schema = opts.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/i.test(schema)) throw new DatabaseUrlError(url, `bad schema name ${schema}`);
    if (schema) {
      const admin = new Pool({ connectionString: url, max: 1 });
      try { await admin.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`); } finally { await admin.end(); }
    }
    const pool = new Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      ...(schema ? { options: `-c search_path="${schema}"` } : {}),
      // bigint columns hold epoch seconds and counts: well inside Number's exact range.
      types: { getTypeParser: ((oid: number, format?: any) => (oid === 20 ? (v: string) => Number(v) : types.getTypeParser(oid, format))) as any },
    });
    pool.on('error', opts.onConnectionError ?? ((err: Error) => {
      process.emitWarning(`an idle PostgreSQL connection failed (${err.message}); the pool opens a new one when needed`, 'MastroDatabaseWarning');
    }));
    kysely = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }), log: queryTiming.kyselyLog });
    engine = 'postgresql';
  } else {
    throw new DatabaseUrlError(url, 'unknown scheme');
  }
  try {
    await migrate(kysely, engine);
    // Other processes (a second master, `mastro` CLI commands) see the schema once this resolves.
    await durable();
  } catch (err) {
    await kysely.destroy();
    throw err;
  }
  return { kysely, engine, close: () => kysely.destroy(), durable, queryTiming };
}
