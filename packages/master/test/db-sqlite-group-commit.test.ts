import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cachingSqliteDatabase } from '../src/db/sqlite-statement-cache.js';
import { groupCommitSqliteDatabase } from '../src/db/sqlite-group-commit.js';
import { openDatabase } from '../src/db/index.js';

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

async function open(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-group-commit-'));
  const file = join(dir, 'state.sqlite');
  const raw = new Database(file);
  raw.pragma('journal_mode = WAL');
  let commits = 0;
  const prepare = raw.prepare.bind(raw);
  (raw as any).prepare = (text: string) => {
    const stmt = prepare(text);
    if (text !== 'COMMIT') return stmt;
    const run = stmt.run.bind(stmt);
    (stmt as any).run = (...a: unknown[]) => { commits++; return run(...(a as [])); };
    return stmt;
  };
  const db = groupCommitSqliteDatabase(raw, cachingSqliteDatabase(raw));
  const k = new Kysely<any>({ dialect: new SqliteDialect({ database: db }) });
  // Another process's view of the same file.
  const other = new Database(file, { readonly: true });
  t.after(() => { other.close(); rmSync(dir, { recursive: true, force: true }); });
  await sql`create table t (id integer primary key, v text not null)`.execute(k);
  await db.durable();
  const seenByOther = () => (other.prepare('select id from t order by id').all() as Array<{ id: number }>).map((r) => r.id);
  return { k, db, raw, seenByOther, commits: () => commits };
}

test('writes of one turn are read back at once by this process and reach other connections in one commit after the turn', async (t) => {
  const { k, db, seenByOther, commits } = await open(t);
  const before = commits();
  await Promise.all([1, 2, 3].map((id) => k.insertInto('t').values({ id, v: `v${id}` }).execute()));
  assert.deepEqual((await k.selectFrom('t').select('id').orderBy('id').execute()).map((r) => r.id), [1, 2, 3]);
  assert.deepEqual(seenByOther(), [], 'not committed while the turn runs');
  await db.durable();
  assert.deepEqual(seenByOther(), [1, 2, 3]);
  assert.equal(commits() - before, 1, 'three inserts, one commit');
  await k.destroy();
});

test('a Kysely transaction that fails undoes only its own writes, not the rest of the turn', async (t) => {
  const { k, db, seenByOther } = await open(t);
  await k.insertInto('t').values({ id: 1, v: 'kept' }).execute();
  await assert.rejects(k.transaction().execute(async (trx) => {
    await trx.insertInto('t').values({ id: 2, v: 'undone' }).execute();
    throw new Error('boom');
  }), /boom/);
  await k.transaction().execute(async (trx) => { await trx.insertInto('t').values({ id: 3, v: 'committed' }).execute(); });
  await db.durable();
  assert.deepEqual(seenByOther(), [1, 3]);
  await k.destroy();
});

test('a statement that fails on a constraint loses nothing else written in its turn', async (t) => {
  const { k, db, seenByOther } = await open(t);
  await k.insertInto('t').values({ id: 1, v: 'a' }).execute();
  await assert.rejects(k.insertInto('t').values({ id: 1, v: 'duplicate' }).execute(), /UNIQUE|PRIMARY/);
  await k.insertInto('t').values({ id: 2, v: 'b' }).execute();
  await db.durable();
  assert.deepEqual(seenByOther(), [1, 2]);
  await k.destroy();
});

test('a transaction that awaits other work across turns is committed whole, after it ends', async (t) => {
  const { k, db, seenByOther } = await open(t);
  const txn = k.transaction().execute(async (trx) => {
    await trx.insertInto('t').values({ id: 1, v: 'first' }).execute();
    await nextTurn();
    await nextTurn();
    assert.deepEqual(seenByOther(), [], 'half a transaction is never committed');
    await trx.insertInto('t').values({ id: 2, v: 'second' }).execute();
  });
  await txn;
  await db.durable();
  assert.deepEqual(seenByOther(), [1, 2]);
  await k.destroy();
});

test('reads alone open no transaction and durable() resolves at once', async (t) => {
  const { k, db, raw, commits } = await open(t);
  const before = commits();
  await k.selectFrom('t').selectAll().execute();
  assert.equal(raw.inTransaction, false);
  await db.durable();
  await nextTurn();
  assert.equal(commits(), before);
  await k.destroy();
});

test('closing the database commits the writes of the current turn', async (t) => {
  const { k, seenByOther } = await open(t);
  await k.insertInto('t').values({ id: 7, v: 'last words' }).execute();
  await k.destroy();
  assert.deepEqual(seenByOther(), [7]);
});

test('openDatabase groups commits by default and commits every statement with groupCommit false', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-group-commit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const groupCommit of [true, false]) {
    const file = join(dir, `${groupCommit}.sqlite`);
    const db = await openDatabase(`sqlite:${file}`, { groupCommit });
    const other = new Database(file, { readonly: true });
    try {
      const id = await db.builders.findOrCreate('b');
      const visible = () => other.prepare('select count(*) as n from builders where id = ?').get(id) as { n: number };
      assert.equal(visible().n, groupCommit ? 0 : 1);
      await db.durable();
      assert.equal(visible().n, 1);
    } finally {
      other.close();
      await db.close();
    }
  }
});
