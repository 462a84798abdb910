/**
 * HttpServer.reconfigure (server.ts, reconfigure.ts) over real HTTP and a real SQLite database:
 * all of www's rules change together or none do, change hook dialects whose options did not
 * change keep their state, and settings only a restart changes are named.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { restartOnlyChanges } from '../src/www/reconfigure.js';
import { hubSignature256 } from '../src/www/hooks/signature.js';
import type { MasterConfig, WwwOptions } from '../src/config/types.js';

const asConfig = (www: WwwOptions | undefined) => ({ www, buildbotURL: null }) as unknown as MasterConfig;
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

describe('reconfiguring a running HTTP server', () => {
  let db: Db; let server: HttpServer; let base: string;
  const logs: string[] = [];
  const hook = async (pw: string) => (await fetch(`${base}/change_hook/base`, {
    method: 'POST', headers: { authorization: basic('hook', pw) }, body: new URLSearchParams({ author: 'a', revision: 'r' }),
  })).status;
  const www = (o: Partial<WwwOptions>): WwwOptions => ({ port: 0, host: '127.0.0.1', changeHooks: { base: {} }, ...o });

  before(async () => {
    db = await openDatabase('sqlite::memory:');
    const logger = pino({ level: 'warn' }, new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } }));
    const data = new DataConnector(db, new InProcessMessageQueue());
    server = await createHttpServer({ data, port: 0, host: '127.0.0.1', logger, config: asConfig(www({ changeHookAuth: [{ username: 'hook', password: 'one' }] })), changeHooks: { base: {} } });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => { await server.close(); await db.close(); });

  test('a reconfig whose change hooks cannot be built throws and changes neither the hooks nor the authz rules', () => {
    const rulesBefore = server.security.authz;
    assert.throws(() => server.reconfigure(asConfig(www({
      changeHooks: { base: {}, nosuch: {} }, changeHookAuth: [{ username: 'hook', password: 'two' }], authz: { anonymousView: false },
    }))), /nosuch/);
    assert.equal(server.security.authz, rulesBefore);
    assert.ok(server.security.authz.allows({ username: null, roles: [], via: 'anonymous' }, 'view'), 'anonymous may still view');
  });

  test('after a failed reconfig the old hook credentials still pass; a good one swaps them', async () => {
    assert.equal(await hook('one'), 200);
    assert.equal(await hook('two'), 401);
    assert.deepEqual(server.reconfigure(asConfig(www({ changeHookAuth: [{ username: 'hook', password: 'two' }] }))), []);
    assert.equal(await hook('one'), 401);
    assert.equal(await hook('two'), 200);
  });

  test('a dialect keeps its replay memory across a reconfig; changed options take effect', async () => {
    const ping = async (secret: string) => {
      const body = '{"hook_id":1}';
      const r = await fetch(`${base}/change_hook/github`, { method: 'POST', body, headers: {
        'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': 'delivery-1', 'x-hub-signature-256': hubSignature256(secret, Buffer.from(body)),
      } });
      const text = await r.text(); // JSON from the dialect, plain text for a dialect that is not enabled
      return { status: r.status, message: r.status === 404 ? text : String((JSON.parse(text) as { message?: string }).message) };
    };
    const github = (secret: string, changeHookAuth: false | null) => asConfig(www({ changeHooks: { base: {}, github: { secret } }, changeHookAuth }));
    server.reconfigure(github('s1', false));
    assert.match((await ping('s1')).message, /pong/);
    server.reconfigure(github('s1', null)); // something else changed
    assert.match((await ping('s1')).message, /already received/);
    server.reconfigure(github('s2', null));
    assert.equal((await ping('s1')).status, 403, 'a new secret builds a new dialect');
    // The replay memory lives in the database, not in the dialect object: the same delivery signed
    // with the new secret is still the same delivery.
    assert.match((await ping('s2')).message, /already received/);
    server.reconfigure(asConfig(www({ changeHookAuth: false })));
    assert.equal((await ping('s2')).status, 404, 'and a config without it disables it');
  });

  test('removing www keeps the running rules and says a restart is needed', () => {
    const rules = server.security.authz;
    assert.deepEqual(server.reconfigure(asConfig(undefined)), ['www']);
    assert.equal(server.security.authz, rules);
    assert.ok(logs.some((l) => /www was removed from the config/.test(l)));
  });
});

test('restartOnlyChanges names port, host and bodyLimit changes and www appearing or going', () => {
  const c = (www?: WwwOptions) => asConfig(www);
  assert.deepEqual(restartOnlyChanges(c({ port: 1, host: 'a', bodyLimit: 5, authz: {} }), c({ port: 1, host: 'a', bodyLimit: 5, authz: { anonymousView: false } })), []);
  assert.deepEqual(restartOnlyChanges(c({ port: 1, host: 'a' }), c({ port: 2, host: 'b', bodyLimit: 9 })), ['www.port', 'www.host', 'www.bodyLimit']);
  assert.deepEqual(restartOnlyChanges(c(undefined), c({})), ['www']);
  assert.deepEqual(restartOnlyChanges(c({}), c(undefined)), ['www']);
});
