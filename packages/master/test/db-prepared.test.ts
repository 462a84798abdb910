import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { prepared } from '../src/db/prepared.js';

async function open() {
  const k = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
  await sql`create table t (id integer primary key, a text, b integer, c text)`.execute(k);
  return k;
}

test('a prepared query is built once and runs with each call\'s parameters in their places', async () => {
  const k = await open();
  let builds = 0;
  const insert = prepared((p: { id: number; a: string; b: number }, db) => {
    builds++;
    // Deliberately not in declaration order: placeholders are matched by name, not position.
    return (db as Kysely<any>).insertInto('t').values({ b: p.b, c: 'fixed', id: p.id, a: p.a }).returning('id');
  });
  const byB = prepared((p: { b: number; a: string }, db) => (db as Kysely<any>).selectFrom('t').select(['id', 'a', 'c']).where('a', '=', p.a).where('b', '>', p.b).orderBy('id'));
  for (let i = 1; i <= 5; i++) assert.deepEqual(await insert.first(k as any, { id: i, a: i % 2 ? 'odd' : 'even', b: i * 10 }), { id: i });
  assert.equal(builds, 1);
  assert.deepEqual(await byB.rows(k as any, { a: 'odd', b: 10 }), [{ id: 3, a: 'odd', c: 'fixed' }, { id: 5, a: 'odd', c: 'fixed' }]);
  assert.equal(await byB.first(k as any, { a: 'none', b: 0 }), undefined);
  await k.destroy();
});

test('a prepared query runs inside a transaction and rolls back with it; undefined is bound as NULL', async () => {
  const k = await open();
  const insert = prepared((p: { id: number; a?: string }, db) => (db as Kysely<any>).insertInto('t').values({ id: p.id, a: p.a }));
  await assert.rejects(k.transaction().execute(async (trx) => {
    await insert.execute(trx as any, { id: 1, a: 'x' });
    throw new Error('undo');
  }), /undo/);
  await insert.execute(k as any, { id: 2 });
  assert.deepEqual(await k.selectFrom('t').select(['id', 'a']).execute(), [{ id: 2, a: null }]);
  await k.destroy();
});
