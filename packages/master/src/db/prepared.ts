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
 * Only for queries whose shape never depends on the values: placeholders stand for single values
 * (not `in` lists, not values Kysely inspects such as `null` in `is` comparisons), and every
 * insert column listed is always written (`undefined` is bound as NULL rather than omitted).
 */
import type { CompiledQuery, Compilable, Kysely, QueryResult } from 'kysely';
import type { Schema } from './schema.js';

/** A named stand-in for a parameter while the query is built. */
class Placeholder {
  constructor(readonly name: string) {}
}

export interface PreparedQuery<P, R> {
  /** Runs the query with `params` through `db` (the Kysely instance or a transaction). */
  execute(db: Kysely<Schema>, params: P): Promise<QueryResult<R>>;
  /** The rows, or the first row (undefined when none). */
  rows(db: Kysely<Schema>, params: P): Promise<R[]>;
  first(db: Kysely<Schema>, params: P): Promise<R | undefined>;
}

export function prepared<P extends Record<string, unknown>, R = unknown>(build: (p: P, db: Kysely<Schema>) => Compilable<R>): PreparedQuery<P, R> {
  // The SQL text is the same for every Kysely instance of one dialect; one compilation per dialect class.
  const compiled = new Map<unknown, { query: CompiledQuery<R>; slots: Array<string | { value: unknown }> }>();
  const compile = (db: Kysely<Schema>) => {
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
  const execute = (db: Kysely<Schema>, params: P): Promise<QueryResult<R>> => {
    const { query, slots } = compile(db);
    const parameters = new Array(slots.length);
    for (let i = 0; i < slots.length; i++) {
      const s = slots[i]!;
      parameters[i] = typeof s === 'string' ? (params[s] ?? null) : s.value;
    }
    return db.executeQuery<R>({ query: query.query, queryId: query.queryId, sql: query.sql, parameters });
  };
  return {
    execute,
    rows: async (db, params) => (await execute(db, params)).rows,
    first: async (db, params) => (await execute(db, params)).rows[0],
  };
}
