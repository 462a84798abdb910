/**
 * Browser sessions kept in the web_sessions table (www/auth/sessions.ts over db/tables/web-sessions.ts),
 * on SQLite and, with MASTRO_TEST_PG_URL, PostgreSQL. A second SessionStore over the same table
 * stands for the master after a restart. The clock is injected, so expiry needs no waiting.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { engines } from './support/db.js';
import type { Db } from '../src/db/index.js';
import { SessionStore, type SessionStoreOptions } from '../src/www/auth/sessions.js';
import type { Identity } from '../src/www/auth/identity.js';

const alice: Identity = { username: 'alice', roles: ['admin'], via: 'session' };
const HOUR = 3600_000;

for (const engine of engines()) {
  describe(`web sessions on ${engine.name}`, () => {
    let db: Db;
    let clock = 1_000_000;
    const stores: SessionStore[] = [];
    const store = (o: Partial<SessionStoreOptions> = {}) => {
      const s = new SessionStore({ ttlMs: HOUR, maxSessions: 100, sweepIntervalMs: HOUR, table: db.webSessions, durable: () => db.durable(), now: () => clock, ...o });
      stores.push(s);
      return s;
    };
    const rows = () => db.kysely.selectFrom('web_sessions').selectAll().execute();

    before(async () => { db = await engine.open(); });
    after(async () => { for (const s of stores) await s.close(); await db.close(); });

    test('a session created by one store is found by a new store over the same table (a restart), with its identity and CSRF token', async () => {
      const s = await store().create(alice);
      const again = await store().get(s.id);
      assert.deepEqual(again, s);
    });

    test('the table holds the SHA-256 of the token, never the token itself', async () => {
      const s = await store().create(alice);
      const all = await rows();
      assert.ok(all.length >= 1);
      assert.ok(all.every((r) => r.id_hash !== s.id && /^[0-9a-f]{64}$/.test(r.id_hash)));
      assert.ok(!JSON.stringify(all).includes(s.id), 'the token appears nowhere in the table');
    });

    test('unknown, empty and deleted tokens find no session; a delete removes the row', async () => {
      const a = store();
      assert.equal(await a.get(undefined), undefined);
      assert.equal(await a.get('no-such-token'), undefined);
      const s = await a.create(alice);
      const before = (await rows()).length;
      await a.delete(s.id);
      assert.equal(await a.get(s.id), undefined);
      assert.equal(await store().get(s.id), undefined, 'gone for a restarted master too');
      assert.equal((await rows()).length, before - 1);
    });

    test('an expired session is refused and its row deleted when read', async () => {
      const a = store({ ttlMs: 1000 });
      const s = await a.create(alice);
      clock += 999;
      assert.ok(await store().get(s.id), 'alive just before its expiry');
      clock += 1;
      const b = store();
      assert.equal(await b.get(s.id), undefined);
      assert.equal(await a.get(s.id), undefined, 'the cached copy expires too');
      assert.ok(!(await rows()).some((r) => Number(r.expires_at_ms) === s.expiresAt), 'the expired row is gone');
    });

    test('the sweep deletes expired sessions nobody reads again and keeps the live ones', async () => {
      await db.kysely.deleteFrom('web_sessions').execute();
      const a = store({ ttlMs: 1000 });
      const old1 = await a.create(alice);
      const old2 = await a.create(alice);
      clock += 500;
      const live = await a.create(alice);
      clock += 600; // old1 and old2 expired, live has 400 ms left
      assert.equal(await a.sweep(), 2);
      assert.equal((await rows()).length, 1);
      assert.ok(await store().get(live.id));
      assert.equal(await store().get(old1.id), undefined);
      assert.equal(await store().get(old2.id), undefined);
    });

    test('beyond maxSessions the oldest sessions are deleted first, also when created in the same millisecond', async () => {
      await db.kysely.deleteFrom('web_sessions').execute();
      const a = store({ maxSessions: 3 });
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await a.create({ ...alice, username: `u${i}` }));
      assert.equal((await rows()).length, 3);
      clock += 1;
      const newest = await a.create(alice);
      assert.equal((await rows()).length, 3);
      assert.ok(await store().get(newest.id), 'the session just created survives its own trim');
    });

    test('a cached session is re-checked against the table after cacheFreshMs (a logout on another master)', async () => {
      const a = store({ cacheFreshMs: 5000 });
      const s = await a.create(alice);
      await store().delete(s.id); // another master shares the table
      assert.ok(await a.get(s.id), 'still trusted from the cache within cacheFreshMs');
      clock += 5000;
      assert.equal(await a.get(s.id), undefined);
    });

    test('a reconfigured lifetime applies to new sessions; existing ones keep their expiry', async () => {
      const a = store({ ttlMs: HOUR });
      const before = await a.create(alice);
      a.configure({ ttlMs: 2000, maxSessions: 100, sweepIntervalMs: HOUR });
      const after = await a.create(alice);
      assert.equal(before.expiresAt, clock + HOUR);
      assert.equal(after.expiresAt, clock + 2000);
    });
  });
}

test('without a table sessions live in memory, bounded by maxSessions and expiring on time', async () => {
  let clock = 0;
  const s = new SessionStore({ ttlMs: 1000, maxSessions: 2, sweepIntervalMs: HOUR, now: () => clock });
  const a = await s.create(alice);
  const b = await s.create(alice);
  await s.get(a.id); // a is now the more recently used
  const c = await s.create(alice);
  assert.ok(await s.get(a.id));
  assert.equal(await s.get(b.id), undefined, 'the least recently used went');
  assert.ok(await s.get(c.id));
  clock += 1000;
  assert.equal(await s.get(a.id), undefined);
  await s.close();
});
