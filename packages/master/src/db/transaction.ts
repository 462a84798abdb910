/**
 * Transactions written once for both engines. The body is a generator that yields its statements
 * (`yield* first(query, params)` gives back the first row, typed): on the embedded SQLite database
 * the runner executes them synchronously inside one savepoint, without Kysely's transaction
 * machinery (a connection hand-over, a savepoint and a release each through the executor, a promise
 * per statement); on PostgreSQL, or while a Kysely transaction holds the SQLite connection, it runs
 * them one by one in a Kysely transaction. Either way the body's writes are all kept or, when it
 * throws (or a statement fails), all undone.
 *
 *   const id = await transaction(k, function* () {
 *     const row = yield* first(insertThing, { name });
 *     yield* run(insertPart, { thingid: row!.id });
 *     return row!.id;
 *   });
 *
 * The body must not do anything but compute and yield statements: on SQLite nothing else runs
 * while it does, so it cannot await.
 */
import type { Compilable, Kysely, QueryResult } from 'kysely';
import type { Schema } from './schema.js';
import { directFor, runStatement, type DirectSqlite, type PreparedQuery } from './prepared.js';
import { queryTimingOf } from './query-timing.js';

/** One statement of a body: a prepared query and its parameters, or a query built for this call. */
export type TxnStatement =
  | { prepared: PreparedQuery<any, unknown>; params: Record<string, unknown> }
  | { build: (db: Kysely<Schema>) => Compilable<unknown> };

export type TxnBody<T> = Generator<TxnStatement, T, QueryResult<unknown>>;
type Step<T> = Generator<TxnStatement, T, QueryResult<unknown>>;

/** Runs a prepared query; gives back its result. */
export function* run<P extends Record<string, unknown>, R>(q: PreparedQuery<P, R>, params: P): Step<QueryResult<R>> {
  return (yield { prepared: q, params }) as QueryResult<R>;
}

export function* rows<P extends Record<string, unknown>, R>(q: PreparedQuery<P, R>, params: P): Step<R[]> {
  return (yield* run(q, params)).rows;
}

export function* first<P extends Record<string, unknown>, R>(q: PreparedQuery<P, R>, params: P): Step<R | undefined> {
  return (yield* run(q, params)).rows[0];
}

/** Runs a query whose shape depends on the values (an `in` list, a multi-row insert); built per call. */
export function* built<R>(build: (db: Kysely<Schema>) => Compilable<R>): Step<QueryResult<R>> {
  return (yield { build }) as QueryResult<R>;
}

export function transaction<T>(k: Kysely<Schema>, body: () => TxnBody<T>): Promise<T> {
  const d = directFor(k);
  if (d && !d.kyselyTransactionOpen) {
    try {
      return Promise.resolve(d.atomically(() => driveSync(body(), (st) => runDirect(k, d, st))));
    } catch (err) {
      return Promise.reject(err);
    }
  }
  return k.transaction().execute((trx) => driveAsync(body(), (st) => runThrough(trx, st)));
}

function runDirect(k: Kysely<Schema>, d: DirectSqlite, st: TxnStatement): QueryResult<unknown> {
  if ('prepared' in st) return st.prepared.runDirect(k, d, st.params);
  const c = st.build(k).compile();
  return runStatement(d.prepare(c.sql), c.parameters, queryTimingOf(k));
}

function runThrough(trx: Kysely<Schema>, st: TxnStatement): Promise<QueryResult<unknown>> {
  if ('prepared' in st) return st.prepared.execute(trx, st.params);
  return trx.executeQuery(st.build(trx).compile());
}

function driveSync<T>(gen: TxnBody<T>, exec: (st: TxnStatement) => QueryResult<unknown>): T {
  let step = gen.next();
  while (!step.done) {
    let result: QueryResult<unknown>;
    try {
      result = exec(step.value);
    } catch (err) {
      step = gen.throw(err);
      continue;
    }
    step = gen.next(result);
  }
  return step.value;
}

async function driveAsync<T>(gen: TxnBody<T>, exec: (st: TxnStatement) => Promise<QueryResult<unknown>>): Promise<T> {
  let step = gen.next();
  while (!step.done) {
    let result: QueryResult<unknown>;
    try {
      result = await exec(step.value);
    } catch (err) {
      step = gen.throw(err);
      continue;
    }
    step = gen.next(result);
  }
  return step.value;
}
