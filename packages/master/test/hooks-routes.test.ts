/**
 * /change_hook/<dialect> on the master's real HTTP server (www/hooks/routes.ts) with a real
 * database: what reaches a dialect is the raw body (signatures are checked on its bytes before
 * anything parses it), content types a forge never sends are refused by name, and a delivery
 * already recorded is refused by the digest of its signed body, whatever its delivery id, even
 * after the server restarts on the same database (SQLite file and PostgreSQL).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { hubSignature256 } from '../src/www/hooks/signature.js';
import { fixture } from './support/hooks-server.js';
import { engines } from './support/db.js';

const SECRET = 'gh-secret';

interface Env { db: Db; server: HttpServer; base: string }

async function startEnv(db: Db, changeHooks: Record<string, Record<string, unknown>> = { github: { secret: SECRET } }): Promise<Env> {
  const data = new DataConnector(db, new InProcessMessageQueue());
  await data.updates.masterActive('m');
  const server = await createHttpServer({ data, port: 0, host: '127.0.0.1', changeHooks });
  return { db, server, base: `http://127.0.0.1:${server.port}` };
}

async function changeCount(e: Env): Promise<number> {
  return ((await (await fetch(`${e.base}/api/v2/changes`)).json()) as { changes: unknown[] }).changes.length;
}

function github(e: Env, body: string, headers: Record<string, string>) {
  return fetch(`${e.base}/change_hook/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', ...headers } })
    .then(async (r) => ({ status: r.status, body: (await r.json()) as { message: string; changes?: number[] } }));
}

describe('what a dialect receives', () => {
  test('a body that is not JSON with a wrong signature gets the signature error (403), not a parse error', async (t) => {
    const e = await startEnv(await openDatabase('sqlite::memory:'));
    t.after(async () => { await e.server.close(); await e.db.close(); });
    const body = '{"ref": "refs/heads/main", oops';
    const r = await github(e, body, { 'x-hub-signature-256': hubSignature256('not-the-secret', body) });
    assert.equal(r.status, 403, JSON.stringify(r.body));
    assert.match(r.body.message, /X-Hub-Signature-256 does not match/);
    const unsigned = await github(e, body, {});
    assert.equal(unsigned.status, 403, JSON.stringify(unsigned.body));
    assert.match(unsigned.body.message, /no X-Hub-Signature-256/);
  });

  test('a correctly signed body that is not JSON gets 400 saying so', async (t) => {
    const e = await startEnv(await openDatabase('sqlite::memory:'));
    t.after(async () => { await e.server.close(); await e.db.close(); });
    const body = '{"ref": "refs/heads/main", oops';
    const r = await github(e, body, { 'x-hub-signature-256': hubSignature256(SECRET, body) });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.message, /not valid JSON/);
  });

  test('a text/plain GitHub delivery gets 400 "unsupported content type", signed or not', async (t) => {
    const e = await startEnv(await openDatabase('sqlite::memory:'));
    t.after(async () => { await e.server.close(); await e.db.close(); });
    const body = fixture('github-push.json');
    const signed = await github(e, body, { 'content-type': 'text/plain', 'x-hub-signature-256': hubSignature256(SECRET, body) });
    assert.equal(signed.status, 400, JSON.stringify(signed.body));
    assert.match(signed.body.message, /unsupported content type text\/plain; send application\/json/);
    const open = await startEnv(await openDatabase('sqlite::memory:'), { github: {} });
    t.after(async () => { await open.server.close(); await open.db.close(); });
    const unsigned = await github(open, body, { 'content-type': 'text/plain; charset=utf-8' });
    assert.equal(unsigned.status, 400, JSON.stringify(unsigned.body));
    assert.match(unsigned.body.message, /unsupported content type text\/plain/);
    assert.equal(await changeCount(e) + await changeCount(open), 0);
  });

  test('a form-encoded GitHub delivery (payload=<json>) is checked on its raw bytes and recorded', async (t) => {
    const e = await startEnv(await openDatabase('sqlite::memory:'));
    t.after(async () => { await e.server.close(); await e.db.close(); });
    const body = new URLSearchParams({ payload: fixture('github-push.json') }).toString();
    const r = await github(e, body, { 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': hubSignature256(SECRET, body) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.changes?.length, 2);
  });
});

for (const engine of engines()) {
  describe(`replayed deliveries (${engine.name})`, () => {
    test('the same signed body under a new delivery id, or with none, records nothing more', async (t) => {
      const e = await startEnv(await engine.open());
      t.after(async () => { await e.server.close(); await e.db.close(); });
      const body = fixture('github-push.json');
      const sig = { 'x-hub-signature-256': hubSignature256(SECRET, body) };
      const first = await github(e, body, { ...sig, 'x-github-delivery': 'd-1' });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal(first.body.changes?.length, 2);
      for (const headers of [{ ...sig, 'x-github-delivery': 'd-2' }, sig]) {
        const again = await github(e, body, headers);
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.deepEqual(again.body.changes, []);
        assert.match(again.body.message, /already received; ignored/);
      }
      assert.equal(await changeCount(e), 2);
    });

    test('ten copies of one signed delivery sent at once record it once', async (t) => {
      const e = await startEnv(await engine.open());
      t.after(async () => { await e.server.close(); await e.db.close(); });
      const body = fixture('github-push.json');
      const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => github(e, body, { 'x-hub-signature-256': hubSignature256(SECRET, body), 'x-github-delivery': `copy-${i}` })));
      assert.deepEqual(rs.map((r) => r.status), Array(10).fill(200));
      assert.equal(rs.filter((r) => r.body.changes?.length === 2).length, 1, JSON.stringify(rs.map((r) => r.body.message)));
      assert.equal(await changeCount(e), 2);
    });

    test('a delivery recorded before the server restarted on the same database is still refused', async (t) => {
      const db = await engine.open();
      t.after(() => db.close());
      const body = fixture('github-push.json');
      const gitlabBody = fixture('gitlab-push.json');
      const sig = { 'x-hub-signature-256': hubSignature256(SECRET, body) };
      const glHeaders = { 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': `uuid-${randomBytes(4).toString('hex')}` };
      const hooks = { github: { secret: SECRET }, gitlab: {} };
      const before = await startEnv(db, hooks);
      assert.equal((await github(before, body, { ...sig, 'x-github-delivery': 'before-restart' })).body.changes?.length, 2);
      const gl = await fetch(`${before.base}/change_hook/gitlab`, { method: 'POST', body: gitlabBody, headers: { 'content-type': 'application/json', ...glHeaders } });
      assert.equal(gl.status, 200);
      const recorded = await changeCount(before);
      await before.server.close();
      const after = await startEnv(db, hooks);
      t.after(() => after.server.close());
      const again = await github(after, body, { ...sig, 'x-github-delivery': 'after-restart' });
      assert.deepEqual(again.body.changes, [], JSON.stringify(again.body));
      assert.match(again.body.message, /already received; ignored/);
      const glAgain = await fetch(`${after.base}/change_hook/gitlab`, { method: 'POST', body: gitlabBody, headers: { 'content-type': 'application/json', ...glHeaders } });
      assert.match(((await glAgain.json()) as { message: string }).message, /already received; ignored/);
      assert.equal(await changeCount(after), recorded);
    });
  });
}
