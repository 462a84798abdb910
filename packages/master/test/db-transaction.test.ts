import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { prepared } from '../src/db/prepared.js';
import { built, first, run, transaction } from '../src/db/transaction.js';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

// A scratch table, so these tests depend on nothing of the real schema.
const insert = prepared((p: { id: number; v: string }, db) => (db as Kysely<any>).insertInto('txn_t').values({ id: p.id, v: p.v }));
const byId = prepared((p: { id: number }, db) => (db as Kysely<any>).selectFrom('txn_t').select(['id', 'v']).where('id', '=', p.id));

for (const engine of engines()) {
  describe(`db transactions on ${engine.name}`, () => {
    let db: Db;
    let k: Kysely<any>;
    before(async () => {
      db = await engine.open();
      k = db.kysely as Kysely<any>;
      await sql`create table txn_t (id integer primary key, v text not null)`.execute(k);
    });
    after(async () => { await db.close(); });
    const ids = async () => (await k.selectFrom('txn_t').select('id').orderBy('id').execute()).map((r) => r.id);
    const clear = () => k.deleteFrom('txn_t').execute();

    test('a transaction body keeps all its writes and returns what it computed from their results', async () => {
      await clear();
      const out = await transaction(db.kysely, function* () {
        yield* run(insert, { id: 1, v: 'one' });
        const r = yield* built((q) => (q as Kysely<any>).insertInto('txn_t').values([{ id: 2, v: 'two' }, { id: 3, v: 'three' }]));
        const row = yield* first(byId, { id: 2 });
        return { inserted: Number(r.numAffectedRows), v: (row as { v: string }).v };
      });
      assert.deepEqual(out, { inserted: 2, v: 'two' });
      assert.deepEqual(await ids(), [1, 2, 3]);
    });

    test('a transaction body that throws, or whose statement fails, keeps none of its writes', async () => {
      await clear();
      await assert.rejects(transaction(db.kysely, function* () {
        yield* run(insert, { id: 1, v: 'undone' });
        throw new Error('changed my mind');
      }), /changed my mind/);
      await assert.rejects(transaction(db.kysely, function* () {
        yield* run(insert, { id: 2, v: 'undone too' });
        yield* run(insert, { id: 2, v: 'duplicate key' });
      }), (err: { code?: string }) => /^(23505|SQLITE_CONSTRAINT)/.test(String(err.code)));
      assert.deepEqual(await ids(), []);
      await insert.execute(db.kysely, { id: 4, v: 'later writes still work' });
      assert.deepEqual(await ids(), [4]);
    });

    test('a prepared query gives the same result shape as Kysely\'s own execution', async () => {
      await clear();
      const mine = await insert.execute(db.kysely, { id: 5, v: 'x' });
      const theirs = await k.executeQuery(k.insertInto('txn_t').values({ id: 6, v: 'y' }).compile());
      assert.equal(mine.numAffectedRows, theirs.numAffectedRows);
      assert.equal(typeof mine.numAffectedRows, 'bigint');
      assert.deepEqual(mine.rows, theirs.rows);
      assert.deepEqual(await byId.rows(db.kysely, { id: 5 }), [{ id: 5, v: 'x' }]);
    });

    test('prepared queries and transactions issued while a Kysely transaction is open are not undone with it', async () => {
      await clear();
      let holding!: () => void;
      const held = new Promise<void>((r) => { holding = r; });
      const txn = k.transaction().execute(async (trx) => {
        await trx.insertInto('txn_t').values({ id: 10, v: 'rolled back' }).execute();
        holding();
        await nextTurn();
        throw new Error('abort the Kysely transaction');
      });
      // Issued while it holds the connection (it is waiting for the next turn).
      await held;
      const meanwhile = Promise.all([
        insert.execute(db.kysely, { id: 11, v: 'prepared' }),
        transaction(db.kysely, function* () { yield* run(insert, { id: 12, v: 'generator transaction' }); }),
      ]);
      await assert.rejects(txn, /abort the Kysely transaction/);
      await meanwhile;
      await db.durable();
      assert.deepEqual(await ids(), [11, 12]);
    });
  });
}
