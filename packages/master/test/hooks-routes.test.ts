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
