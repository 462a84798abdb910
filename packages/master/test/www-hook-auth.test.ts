/**
 * `www.changeHookAuth`: HTTP Basic authentication of every change hook, over real HTTP with a real
 * SQLite database, a real password file and a real users store.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { UsersStore } from '../src/www/auth/users-store.js';
import { hubSignature256 } from '../src/www/hooks/signature.js';
import { basicCredentials, changeHookAuthWarning } from '../src/www/hooks/hook-auth.js';

const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
const form = (fields: Record<string, string>) => new URLSearchParams({ author: 'Ada <ada@example.org>', files: '[]', ...fields });

interface Env { dir: string; db: Db; data: DataConnector; server: HttpServer; base: string; logs: string[] }

async function startEnv(extra: Record<string, unknown>, dir = mkdtempSync(join(tmpdir(), 'mastro-hook-auth-'))): Promise<Env> {
  const db = await openDatabase('sqlite::memory:');
  const data = new DataConnector(db, new InProcessMessageQueue());
  const logs: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
  const server = await createHttpServer({ data, port: 0, host: '127.0.0.1', masterDir: dir, logger, changeHooks: { base: {}, github: { secret: 'gh-secret' } }, ...extra });
  return { dir, db, data, server, base: `http://127.0.0.1:${server.port}`, logs };
}

async function stopEnv(e: Env): Promise<void> {
  await e.server.close();
  await e.db.close();
  rmSync(e.dir, { recursive: true, force: true });
}

async function revisions(e: Env): Promise<string[]> {
  const r = await fetch(`${e.base}/api/v2/changes`);
  return ((await r.json()) as { changes: Array<{ revision: string }> }).changes.map((c) => c.revision);
}

describe('change hooks with www.changeHookAuth', () => {
  let e: Env;
  const post = (revision: string, headers: Record<string, string> = {}) =>
    fetch(`${e.base}/change_hook/base`, { method: 'POST', body: form({ revision }), headers });

  before(async () => {
    // The password file and users exist before the server starts, as on a real master.
    const dir = mkdtempSync(join(tmpdir(), 'mastro-hook-auth-'));
    const store = new UsersStore(dir);
    await store.add('carol', 'carol-password', ['change-hook']);
    await store.add('dave', 'dave-password', ['developer']);
    writeFileSync(join(dir, 'changehook.passwd'), '# Buildbot-style password file\nfilehook:file-pw\n');
    e = await startEnv({
      changeHookAuth: [{ username: 'hook', password: 's3cret' }, 'file:changehook.passwd', { usersStore: { roles: ['change-hook'] } }],
    }, dir);
  });
  after(() => stopEnv(e));

  test('a request without credentials is refused with 401, a Basic challenge and what to do, and adds nothing', async () => {
    const r = await post('r-anon');
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate') ?? '', /^Basic realm="mastro change hooks"/);
    assert.match(await r.text(), /www\.changeHookAuth.*sendchange --auth/);
    assert.deepEqual(await revisions(e), []);
  });

  test('a literal account from the config is accepted and its change is recorded', async () => {
    const r = await post('r-literal', { authorization: basic('hook', 's3cret') });
    assert.equal(r.status, 200, await r.text());
    assert.ok((await revisions(e)).includes('r-literal'));
  });

  test('a wrong password, an unknown user and a non-Basic scheme are each a 401', async () => {
    for (const authorization of [basic('hook', 'S3cret'), basic('nobody', 's3cret'), 'Bearer s3cret']) {
      const r = await post('r-wrong', { authorization });
      assert.equal(r.status, 401, authorization);
      assert.ok(r.headers.get('www-authenticate'));
    }
    assert.ok(!(await revisions(e)).includes('r-wrong'));
  });

  test('accounts of a Buildbot-style password file are accepted, and edits to the file apply without a restart', async () => {
    assert.equal((await post('r-file', { authorization: basic('filehook', 'file-pw') })).status, 200);
    // A different size guarantees the change is noticed even on coarse mtime file systems.
    writeFileSync(join(e.dir, 'changehook.passwd'), 'filehook:rotated-password\n');
    assert.equal((await post('r-file-old', { authorization: basic('filehook', 'file-pw') })).status, 401);
    assert.equal((await post('r-file-new', { authorization: basic('filehook', 'rotated-password') })).status, 200);
  });

  test('users of the users store pass only when they hold one of the listed roles', async () => {
    assert.equal((await post('r-carol', { authorization: basic('carol', 'carol-password') })).status, 200);
    assert.equal((await post('r-dave', { authorization: basic('dave', 'dave-password') })).status, 401);
    const revs = await revisions(e);
    assert.ok(revs.includes('r-carol') && !revs.includes('r-dave'));
  });

  test('a dialect with its own secret (github) needs both the Basic credentials and a valid signature', async () => {
    const body = JSON.stringify({
      ref: 'refs/heads/main', before: '0'.repeat(40), after: 'a'.repeat(40), repository: { html_url: 'https://github.com/o/r', full_name: 'o/r', name: 'r' },
      pusher: { name: 'ada' }, commits: [{ id: 'a'.repeat(40), message: 'm', timestamp: '2024-01-01T00:00:00Z', url: 'https://github.com/o/r/commit/a', author: { name: 'Ada', email: 'ada@example.org' }, added: [], modified: ['x'], removed: [] }],
    });
    let n = 0;
    const send = (sig: string, auth?: string) => fetch(`${e.base}/change_hook/github`, {
      method: 'POST', body,
      headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': `d-${++n}`, 'x-hub-signature-256': sig, ...(auth ? { authorization: auth } : {}) },
    });
    assert.equal((await send(hubSignature256('gh-secret', body))).status, 401, 'a valid signature alone is not enough');
    assert.equal((await send(hubSignature256('wrong', body), basic('hook', 's3cret'))).status, 403, 'valid credentials do not replace the signature');
    const ok = await send(hubSignature256('gh-secret', body), basic('hook', 's3cret'));
    assert.equal(ok.status, 200, await ok.text());
  });

  test('unknown dialects answer 401 before 404, so an anonymous caller learns nothing about what is enabled', async () => {
    assert.equal((await fetch(`${e.base}/change_hook/gitlab`, { method: 'POST', body: '{}' })).status, 401);
    assert.equal((await fetch(`${e.base}/change_hook/gitlab`, { method: 'POST', body: '{}', headers: { authorization: basic('hook', 's3cret') } })).status, 404);
  });
});

describe('change hook login rate limit', () => {
  let e: Env;
  before(async () => { e = await startEnv({ auth: { loginBurst: 2, loginRefillPerSecond: 0.001 }, changeHookAuth: [{ username: 'hook', password: 's3cret' }] }); });
  after(() => stopEnv(e));

  test('after the burst of failures an address gets 429 with Retry-After, even with the right password', async () => {
    const post = (pw: string) => fetch(`${e.base}/change_hook/base`, { method: 'POST', body: form({ revision: 'r' }), headers: { authorization: basic('hook', pw) } });
    assert.equal((await post('guess1')).status, 401);
    assert.equal((await post('guess2')).status, 401);
    const limited = await post('s3cret');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.match(await limited.text(), /too many failed/);
    assert.deepEqual(await revisions(e), []);
  });
});

describe('open change hooks', () => {
  test('without changeHookAuth the hooks stay open (Buildbot default) and a server on all interfaces logs a warning', async () => {
    const e = await startEnv({ host: '0.0.0.0' });
    try {
      const r = await fetch(`${e.base}/change_hook/base`, { method: 'POST', body: form({ revision: 'open' }) });
      assert.equal(r.status, 200);
      assert.equal(e.logs.filter((l) => /unauthenticated/.test(l)).length, 1, e.logs.join('\n'));
    } finally { await stopEnv(e); }
  });

  test('a loopback-only server, or changeHookAuth: false, logs no warning', async () => {
    for (const extra of [{}, { host: '0.0.0.0', changeHookAuth: false }]) {
      const e = await startEnv(extra);
      try { assert.deepEqual(e.logs.filter((l) => /unauthenticated/.test(l)), []); } finally { await stopEnv(e); }
    }
  });
});

describe('hook-auth helpers', () => {
  test('basicCredentials reads user:password and keeps colons inside the password', () => {
    assert.deepEqual(basicCredentials(basic('u', 'a:b')), { username: 'u', password: 'a:b' });
    assert.equal(basicCredentials(`Basic ${Buffer.from('nocolon').toString('base64')}`), null);
    assert.equal(basicCredentials(undefined), null);
  });

  test('changeHookAuthWarning names the open dialects and the host, and is silent when nothing is exposed', () => {
    assert.match(changeHookAuthWarning({ changeHooks: { base: {}, github: {} } }) ?? '', /\(base, github\).*0\.0\.0\.0/);
    assert.equal(changeHookAuthWarning({ host: '127.0.0.1', changeHooks: { base: {} } }), null);
    assert.equal(changeHookAuthWarning({ changeHooks: {} }), null);
    assert.equal(changeHookAuthWarning({ changeHooks: { base: {} }, changeHookAuth: [{ username: 'u', password: 'p' }] }), null);
    assert.equal(changeHookAuthWarning(null), null);
  });
});
