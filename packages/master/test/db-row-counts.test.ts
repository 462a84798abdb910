// meta.total of the unfiltered builds and changes lists (db/row-counts.ts): exact whatever wrote the
// rows, and on PostgreSQL read from the counts its triggers keep rather than from a count(*) over
// every row (which takes ~100 ms at a million builds).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';

const trueCount = async (db: Db, table: string) => Number((await sql<{ n: number }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db.kysely)).rows[0]!.n);

for (const engine of engines()) {
  describe(`row counts on ${engine.name}`, () => {
    let db: Db;
    before(async () => { db = await engine.open(); });
    after(async () => { await db.close(); });

    test('the unfiltered totals of builds and changes stay exact through inserts, multi-row statements and deletes', async () => {
      const builderid = await db.builders.findOrCreate('counted');
      for (let i = 0; i < 3; i++) await db.builds.add({ builderid, buildrequestid: i, workerid: 1, masterid: 1, state_string: '', started_at: i });
      const ss = await db.sourcestamps.findOrCreate({ codebase: '', repository: 'r', branch: 'main', revision: 'a' }, 1);
      for (let i = 0; i < 2; i++) await db.changes.add({ author: 'a', committer: null, comments: 'c', branch: 'main', revision: `r${i}`, revlink: null, when_timestamp: i, category: null, repository: 'r', codebase: '', project: 'p', sourcestampid: ss, files: ['f'], properties: {} } as any);
      // Rows written by another tool, several per statement, then some deleted.
      await sql`INSERT INTO builds (number, builderid, buildrequestid, workerid, masterid, started_at, state_string) VALUES (100, ${builderid}, 9, 1, 1, 5, ''), (101, ${builderid}, 9, 1, 1, 5, '')`.execute(db.kysely);
      await sql`DELETE FROM builds WHERE number = 100`.execute(db.kysely);
      assert.equal(await db.builds.count({}), await trueCount(db, 'builds'));
      assert.equal(await db.builds.count({}), 4);
      assert.equal(await db.changes.count({}), await trueCount(db, 'changes'));
      assert.equal(await db.builds.count({ filters: [{ column: 'number', op: 'eq', values: [101] }] }), 1, 'a filtered total is counted');
    });

    if (engine.name === 'postgresql') {
      test('PostgreSQL keeps the counts in mastro_row_counts, written in the inserting statement', async () => {
        const kept = async (t: string) => Number((await sql<{ n: number }>`SELECT n FROM mastro_row_counts WHERE table_name = ${t}`.execute(db.kysely)).rows[0]?.n);
        assert.equal(await kept('builds'), await trueCount(db, 'builds'));
        assert.equal(await kept('changes'), await trueCount(db, 'changes'));
        await sql`TRUNCATE builds`.execute(db.kysely);
        assert.equal(await kept('builds'), 0);
      });
    }
  });
}
