// What the numbered migrations (db/migrations.ts) give the queries of a large history: the running
// builds (the workers page's `builds?complete=false`) are found through an index of their own
// instead of a read of every build (60 ms on SQLite, 140 ms on PostgreSQL at a million builds).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';

// The statement the data layer sends for `builds?complete=false` (db/list-query.ts, default order by id).
const RUNNING = 'select * from "builds" where ("complete_at" is null) order by "id" asc';

for (const engine of engines()) {
  describe(`migrations on ${engine.name}`, () => {
    let db: Db;
    before(async () => { db = await engine.open(); });
    after(async () => { await db.close(); });

    test('the running builds are read through the builds_unfinished index', async () => {
      const plan = await db.kysely.connection().execute(async (c) => {
        if (engine.name === 'sqlite') return (await sql.raw<{ detail: string }>(`EXPLAIN QUERY PLAN ${RUNNING}`).execute(c)).rows.map((r) => r.detail).join('\n');
        // The tables of a test are tiny: ask what the planner can do once reading everything is not an option.
        await sql`SET enable_seqscan = off`.execute(c);
        try {
          return (await sql.raw<{ 'QUERY PLAN': string }>(`EXPLAIN ${RUNNING}`).execute(c)).rows.map((r) => r['QUERY PLAN']).join('\n');
        } finally { await sql`RESET enable_seqscan`.execute(c); }
      });
      assert.match(plan, /builds_unfinished/, plan);
    });
  });
}
