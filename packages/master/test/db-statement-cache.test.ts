import { test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cachingSqliteDatabase } from '../src/db/sqlite-statement-cache.js';

function open(max?: number) {
  const raw = new Database(':memory:');
  let prepared = 0;
  const original = raw.prepare.bind(raw);
  (raw as any).prepare = (text: string) => { prepared++; return original(text); };
  const cached = cachingSqliteDatabase(raw, max);
  const k = new Kysely<any>({ dialect: new SqliteDialect({ database: cached }) });
  return { k, cached, prepared: () => prepared };
}

test('a query run many times is prepared once and still sees its new parameters', async () => {
  const { k, cached, prepared } = open();
  await sql`create table t (id integer primary key, v text)`.execute(k);
  const before = prepared();
  for (let i = 0; i < 50; i++) await k.insertInto('t').values({ id: i, v: `v${i}` }).execute();
  for (let i = 0; i < 50; i++) {
    const row = await k.selectFrom('t').select('v').where('id', '=', i).executeTakeFirst();
    assert.equal(row?.v, `v${i}`);
  }
  assert.equal(prepared() - before, 2, 'one insert and one select statement');
  assert.equal(cached.cachedStatements, 3, 'the create table statement is cached too');
  await k.destroy();
});

test('the cache keeps at most its limit of statements, evicting the least recently used', async () => {
  const { k, cached, prepared } = open(2);
  await sql`create table t (id integer primary key)`.execute(k);
  const q = (n: number) => k.selectFrom('t').select('id').where('id', 'in', Array.from({ length: n }, (_, i) => i)).execute();
  await q(1); await q(2); await q(1); await q(3); // q(2) is the oldest when q(3) arrives
  assert.equal(cached.cachedStatements, 2);
  const before = prepared();
  await q(1); await q(3);
  assert.equal(prepared(), before, 'the two most recent texts are still prepared');
  await q(2);
  assert.equal(prepared(), before + 1, 'the evicted text is prepared again');
  await k.destroy();
});

test('a statement that is still being iterated is not handed out again: that call gets a fresh one', () => {
  const raw = new Database(':memory:');
  const cached = cachingSqliteDatabase(raw);
  raw.exec('create table t (id integer primary key); insert into t values (1), (2), (3)');
  const text = 'select id from t order by id';
  const first = cached.prepare(text);
  const seen: unknown[] = [];
  for (const row of first.iterate([]) as Iterable<{ id: number }>) {
    seen.push(row.id);
    const again = cached.prepare(text);
    assert.notEqual(again, first, 'the busy statement is not reused');
    assert.deepEqual(again.all([]), [{ id: 1 }, { id: 2 }, { id: 3 }]);
  }
  assert.deepEqual(seen, [1, 2, 3]);
  assert.equal(cached.prepare(text), first, 'once the iteration ended the cached statement is reused');
  cached.close();
});
