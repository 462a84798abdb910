/**
 * Failed-login limits hold against concurrent guesses (a password check takes ~50 ms of scrypt, so
 * counting failures only when they end let every request of a parallel burst through), while a
 * script sending its right credentials in parallel is never throttled. Real HTTP server, real users.json.
 */
import { test, describe, before, after, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { UsersStore } from '../src/www/auth/users-store.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const count = (statuses: number[], s: number) => statuses.filter((x) => x === s).length;

describe('login limits under concurrency', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-sec-login-'));
  // Each test gets its own server: the per-address counters would otherwise carry over (all come from 127.0.0.1).
  let db: Db | null = null; let server: HttpServer | null = null; let base = '';

  before(async () => {
    const store = new UsersStore(dir);
    for (const u of ['alice', 'bob', 'carol', 'dave', 'hooker']) await store.add(u, `${u}-password`, u === 'alice' ? ['admin'] : []);
  });
  beforeEach(async () => {
    db = await openDatabase('sqlite::memory:');
    const data = new DataConnector(db, new InProcessMessageQueue());
    await data.updates.masterActive('m');
    server = await createHttpServer({
      data, port: 0, host: '127.0.0.1', masterDir: dir,
      auth: { loginBurst: 3, loginRefillPerSecond: 0.001 },
      authz: { anonymousView: false },
      changeHooks: { base: {} }, changeHookAuth: [{ usersStore: true }],
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterEach(async () => {
    await server?.close(); await db?.close();
    server = null; db = null;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('twenty concurrent wrong logins for one user get only the burst of 401s; the rest are refused with 429 before any check', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${base}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob', password: `guess-${i}` }),
    })));
    const statuses = rs.map((r) => r.status);
    assert.equal(count(statuses, 401), 3, `statuses: ${statuses}`);
    assert.equal(count(statuses, 429), 17, `statuses: ${statuses}`);
    assert.ok(rs.filter((r) => r.status === 429).every((r) => Number(r.headers.get('retry-after')) > 0));
    // The limit holds for the right password too until tries come back.
    const right = await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bob', password: 'bob-password' }) });
    assert.equal(right.status, 429);
  });

  test('concurrent wrong HTTP Basic guesses for one user on the API are limited the same way', async () => {
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => fetch(`${base}/api/v2/builders`, { headers: { authorization: basic('carol', `guess-${i}`)} })));
    const statuses = rs.map((r) => r.status);
    assert.equal(count(statuses, 401), 3, `statuses: ${statuses}`);
    assert.equal(count(statuses, 429), 9, `statuses: ${statuses}`);
  });

  test('concurrent wrong change hook credentials checked against the users store are limited too', async () => {
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => fetch(`${base}/change_hook/base`, {
      method: 'POST', headers: { authorization: basic('dave', `guess-${i}`), 'content-type': 'application/x-www-form-urlencoded' }, body: 'author=x',
    })));
    const statuses = rs.map((r) => r.status);
    assert.equal(count(statuses, 401), 3, `statuses: ${statuses}`);
    assert.equal(count(statuses, 429), 9, `statuses: ${statuses}`);
  });

  test('a script sending its right Basic credentials in parallel is never throttled, and a later wrong password still counts', async () => {
    const auth = basic('alice', 'alice-password');
    const first = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/api/v2/builders`, { headers: { authorization: auth } })));
    assert.deepEqual(first.map((r) => r.status), Array(20).fill(200));
    const again = await Promise.all(Array.from({ length: 20 }, () => fetch(`${base}/api/v2/builders`, { headers: { authorization: auth } })));
    assert.deepEqual(again.map((r) => r.status), Array(20).fill(200));
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: { authorization: basic('alice', 'alice-passwordX') } })).status, 401);
  });

  test('concurrent change hook posts with the right users-store credentials all get through', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => fetch(`${base}/change_hook/base`, {
      method: 'POST', headers: { authorization: basic('hooker', 'hooker-password'), 'content-type': 'application/x-www-form-urlencoded' }, body: `author=a${i}`,
    })));
    assert.deepEqual(rs.map((r) => r.status), Array(10).fill(200));
  });

  test('a remembered right password stops working as soon as it is changed in users.json', async () => {
    const store = new UsersStore(dir);
    await store.add('eve', 'eve-password-1', []);
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: { authorization: basic('eve', 'eve-password-1') } })).status, 200);
    await store.add('eve', 'eve-password-2', []);
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: { authorization: basic('eve', 'eve-password-1') } })).status, 401);
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: { authorization: basic('eve', 'eve-password-2') } })).status, 200);
    await store.remove('eve');
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: { authorization: basic('eve', 'eve-password-2') } })).status, 401);
  });

  test('a cookie that is not valid percent-encoding (set by another app on the host) does not break requests', async () => {
    const u = await fetch(`${base}/auth/user`, { headers: { cookie: 'other_app=%E0%A4%A; theme=100%' } });
    assert.equal(u.status, 200);
    assert.equal(((await u.json()) as any).user, null);
    const api = await fetch(`${base}/api/v2/builders`, { headers: { cookie: 'mastro_session=%E0%A4%A', authorization: basic('alice', 'alice-password') } });
    assert.equal(api.status, 200);
    const anon = await fetch(`${base}/api/v2/builders`, { headers: { cookie: 'mastro_session=%zz' } });
    assert.equal(anon.status, 401, 'an unknown session is anonymous, refused here because anonymousView is false');
  });
});
