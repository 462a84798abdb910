/**
 * A prepared-statement cache for better-sqlite3 under Kysely. Kysely's SQLite driver calls
 * `prepare(sql)` for every query; compiling the same SQL again and again was the biggest single cost
 * of a build (the engine runs the same few dozen statements per build). This wrapper hands Kysely a
 * cached `Statement` per SQL text instead, bounded by an LRU so queries whose text varies (`IN`
 * lists of different lengths) cannot grow it without limit.
 *
 * A statement still being iterated (`busy`, a streamed query) cannot be run again until the
 * iteration ends, so a busy statement is never handed out: that call gets a fresh one.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Default number of distinct SQL texts kept prepared. */
export const DEFAULT_STATEMENT_CACHE_SIZE = 512;

export interface CachingSqliteDatabase extends SqliteDatabase {
  /** Statements currently cached (tests, diagnostics). */
  readonly cachedStatements: number;
}

export function cachingSqliteDatabase(db: Database, maxStatements = DEFAULT_STATEMENT_CACHE_SIZE): CachingSqliteDatabase {
  const cache = new Map<string, Statement>();
  return {
    get cachedStatements() { return cache.size; },
    close: () => { cache.clear(); db.close(); },
    prepare(sql: string): SqliteStatement {
      const hit = cache.get(sql);
      if (hit) {
        if (hit.busy) return db.prepare(sql);
        // Map order is insertion order: re-inserting makes this the most recently used entry.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql);
      if (maxStatements > 0) {
        cache.set(sql, stmt);
        if (cache.size > maxStatements) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
  };
}
