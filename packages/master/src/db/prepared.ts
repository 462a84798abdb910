/**
 * Queries built and compiled once. Building a Kysely query (immutable operation nodes, frozen at
 * every step) and compiling it to SQL cost ~10 µs each, which the engine's fixed-shape hot queries
 * (a build runs ~25) paid every time. `prepared` builds the query once with named placeholders,
 * compiles it on first use, and afterwards only substitutes the parameters: same SQL text (so
 * SQLite's statement cache hits), same Kysely executor, on both engines.
 *
 *   const finish = prepared<{ id: number; results: number }>((p, db) =>
 *     db.updateTable('builds').set({ results: p.results }).where('id', '=', p.id));
 *   await finish.execute(k, { id, results });   // k: the Kysely instance or a transaction
 *
 * On the embedded SQLite database (registered with `useDirectSqlite`) a prepared query run through
 * the root Kysely instance skips Kysely's executor as well: its statement runs at once on the one
 * connection. Kysely's per-query connection hand-over (a mutex, several promises, a result
 * transformation) cost about as much as SQLite itself for these small statements. While a Kysely
 * transaction holds the connection the query goes through Kysely, which queues it behind that
 * transaction, as before.
 *
 * Only for queries whose shape never depends on the values: placeholders stand for single values
 * (not `in` lists, not values Kysely inspects such as `null` in `is` comparisons), and every
 * insert column listed is always written (`undefined` is bound as NULL rather than omitted).
 */
import type { CompiledQuery, Compilable, Kysely, QueryResult, SqliteStatement } from 'kysely';
import type { Schema } from './schema.js';
import { queryTimingOf, type QueryTiming } from './query-timing.js';

/** A named stand-in for a parameter while the query is built. */
class Placeholder {
  constructor(readonly name: string) {}
}

/** The embedded SQLite connection, for statements run without Kysely's executor (see sqlite-group-commit.ts). */
export interface DirectSqlite {
  prepare(sql: string): SqliteStatement;
  /** A Kysely transaction holds the connection: direct statements must wait for it (go through Kysely). */
  readonly kyselyTransactionOpen: boolean;
  /** Runs synchronous statements all-or-nothing. */
  atomically<T>(fn: () => T): T;
}

const directSqlite = new WeakMap<object, DirectSqlite>();

/** Lets prepared queries and `transaction` run on `d` directly when given `k` (its root Kysely instance). */
export function useDirectSqlite(k: Kysely<Schema>, d: DirectSqlite): void {
  directSqlite.set(k, d);
}

/** The direct connection behind `k`, when `k` is a registered root instance. */
export function directFor(k: Kysely<Schema>): DirectSqlite | undefined {
  return directSqlite.get(k);
}

/** Runs a compiled statement the way Kysely's SQLite driver does, with the same result shape; timed when `timing` listens. */
export function runStatement<R>(stmt: SqliteStatement, parameters: readonly unknown[], timing?: QueryTiming): QueryResult<R> {
  if (!timing?.active) return execute<R>(stmt, parameters);
  const t0 = performance.now();
  let failed = true;
  try {
    const r = execute<R>(stmt, parameters);
    failed = false;
    return r;
  } finally {
    timing.observe((performance.now() - t0) / 1000, failed);
  }
}

function execute<R>(stmt: SqliteStatement, parameters: readonly unknown[]): QueryResult<R> {
  if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
  const { changes, lastInsertRowid } = stmt.run(parameters);
  return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
}

export interface PreparedQuery<P, R> {
  /** Runs the query with `params` through `db` (the Kysely instance or a transaction). */
  execute(db: Kysely<Schema>, params: P): Promise<QueryResult<R>>;
  /** The rows, or the first row (undefined when none). */
  rows(db: Kysely<Schema>, params: P): Promise<R[]>;
  first(db: Kysely<Schema>, params: P): Promise<R | undefined>;
  /** Runs it on the direct SQLite connection now (inside `transaction`'s synchronous path). */
  runDirect(k: Kysely<Schema>, d: DirectSqlite, params: P): QueryResult<R>;
}

interface Compiled<R> { query: CompiledQuery<R>; slots: Array<string | { value: unknown }>; direct?: { d: DirectSqlite; stmt: SqliteStatement } }

export function prepared<P extends Record<string, unknown>, R = unknown>(build: (p: P, db: Kysely<Schema>) => Compilable<R>): PreparedQuery<P, R> {
  // The SQL text is the same for every Kysely instance of one dialect; one compilation per dialect class.
  const compiled = new Map<unknown, Compiled<R>>();
  const compile = (db: Kysely<Schema>): Compiled<R> => {
    const key = db.getExecutor().adapter.constructor;
    let c = compiled.get(key);
    if (!c) {
      const names = new Proxy({}, { get: (_t, name) => new Placeholder(String(name)) }) as P;
      const query = build(names, db).compile();
      const slots = query.parameters.map((v) => (v instanceof Placeholder ? v.name : { value: v }));
      c = { query, slots };
      compiled.set(key, c);
    }
    return c;
  };
  const bind = (slots: Compiled<R>['slots'], params: P): unknown[] => {
    const parameters = new Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      parameters[i] = typeof s === 'string' ? (params[s] ?? null) : s.value;
    }
    return parameters;
  };
  const runDirect = (k: Kysely<Schema>, d: DirectSqlite, params: P): QueryResult<R> => {
    const c = compile(k);
    // The statement is kept: preparing it again per call (even from a cache) was measurable.
    if (c.direct?.d !== d) c.direct = { d, stmt: d.prepare(c.query.sql) };
    let stmt = c.direct.stmt;
    // Being iterated by a streamed query of the same text: the cache hands out a fresh one.
    if ((stmt as { busy?: boolean }).busy) stmt = d.prepare(c.query.sql);
    return runStatement<R>(stmt, bind(c.slots, params), queryTimingOf(k));
  };
  const execute = (db: Kysely<Schema>, params: P): Promise<QueryResult<R>> => {
    const d = directSqlite.get(db);
    if (d && !d.kyselyTransactionOpen) {
      try { return Promise.resolve(runDirect(db, d, params)); } catch (err) { return Promise.reject(err); }
    }
    const { query, slots } = compile(db);
    return db.executeQuery<R>({ query: query.query, queryId: query.queryId, sql: query.sql, parameters: bind(slots, params) });
  };
  return {
    execute,
    runDirect,
    rows: async (db, params) => (await execute(db, params)).rows,
    first: async (db, params) => (await execute(db, params)).rows[0],
  };
}
