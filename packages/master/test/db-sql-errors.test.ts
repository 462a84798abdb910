/**
 * src/db/sql-errors.ts: which failures of a real statement mean "another writer got there first",
 * on SQLite and (with MASTRO_TEST_PG_URL) PostgreSQL. Only the key violations and PostgreSQL's
 * transaction aborts count; a NOT NULL violation is an error to report, not a race.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { isSerializationFailure, isUniqueViolation } from '../src/db/sql-errors.js';

/** The error a statement fails with (it must fail). */
async function failure(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (err) { return err; }
  throw new Error('the statement was expected to fail');
}

for (const engine of engines()) {
  describe(`sql errors on ${engine.name}`, () => {
    let db: Db;
    let k: Kysely<any>;
    before(async () => {
      db = await engine.open();
      k = db.kysely as Kysely<any>;
      await sql`create table sqlerr_t (id integer primary key, name text not null unique)`.execute(k);
      await k.insertInto('sqlerr_t').values({ id: 1, name: 'one' }).execute();
    });
    after(async () => { await db.close(); });

    test('a second row with the same primary key or unique column is a unique violation', async () => {
      const primary = await failure(k.insertInto('sqlerr_t').values({ id: 1, name: 'other' }).execute());
      const unique = await failure(k.insertInto('sqlerr_t').values({ id: 2, name: 'one' }).execute());
      assert.equal(isUniqueViolation(primary), true, String(primary));
      assert.equal(isUniqueViolation(unique), true, String(unique));
      assert.equal(isSerializationFailure(unique), false);
    });

    test('a NOT NULL violation or a syntax error is neither a unique violation nor a serialization failure', async () => {
      const notNull = await failure(k.insertInto('sqlerr_t').values({ id: 3, name: null }).execute());
      const syntax = await failure(sql`selec 1`.execute(k));
      for (const err of [notNull, syntax]) {
        assert.equal(isUniqueViolation(err), false, String(err));
        assert.equal(isSerializationFailure(err), false, String(err));
      }
    });

    if (engine.name === 'postgresql') {
      test('PostgreSQL deadlock_detected (40P01) and serialization_failure (40001) are serialization failures', async () => {
        for (const code of ['40P01', '40001']) {
          const err = await failure(sql.raw(`do $$ begin raise exception 'aborted' using errcode = '${code}'; end $$`).execute(k));
          assert.equal(isSerializationFailure(err), true, String(err));
          assert.equal(isUniqueViolation(err), false);
        }
      });
    }
  });
}

test('values without a code (null, a plain Error, a string) are neither', () => {
  for (const v of [null, undefined, new Error('x'), 'SQLITE_CONSTRAINT_UNIQUE', { code: 'SQLITE_CONSTRAINT_NOTNULL' }]) {
    assert.equal(isUniqueViolation(v), false);
    assert.equal(isSerializationFailure(v), false);
  }
});
