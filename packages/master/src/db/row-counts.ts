/**
 * Exact row counts of the tables a UI lists without a filter (builds, changes), for `meta.total`.
 * Buildbot answers a limited list with `SELECT count(*)` over the whole table; on PostgreSQL that
 * reads every row (MVCC keeps no count: ~100 ms at a million builds on 2 cores), on every console
 * and changes page. PostgreSQL keeps the counts in `mastro_row_counts`, maintained in the writing
 * statement's own transaction by triggers (migration 6), so they are exact whichever master or
 * tool wrote the rows. SQLite counts a b-tree quickly and is asked directly.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from './schema.js';
import type { Engine } from './migrations.js';

/** Tables whose counts PostgreSQL keeps (migration 6 installs their triggers). */
export const COUNTED_TABLES = ['builds', 'changes'] as const;
export type CountedTable = (typeof COUNTED_TABLES)[number];

export class RowCounts {
  constructor(private readonly k: Kysely<Schema>, private readonly engine: Engine) {}

  async count(table: CountedTable): Promise<number> {
    if (this.engine === 'postgresql') {
      const r = await this.k.selectFrom('mastro_row_counts').select('n').where('table_name', '=', table).executeTakeFirst();
      if (r) return Number(r.n);
    }
    const r = await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(this.k);
    return Number(r.rows[0]?.n ?? 0);
  }
}
