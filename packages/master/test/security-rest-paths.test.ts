/**
 * REST paths from the network are decoded once per segment, like Buildbot: a literal `%` in a
 * name (`%25`) reaches the data layer as `%` instead of failing with a 500, an encoded slash stays
 * inside its segment, and a malformed escape is a 400 in the API's JSON shape.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';

describe('REST path decoding', () => {
  let db: Db; let server: HttpServer; let base = '';
  before(async () => {
    db = await openDatabase('sqlite::memory:');
    const data = new DataConnector(db, new InProcessMessageQueue());
    const masterid = await data.updates.masterActive('m');
    void masterid;
    // Lock ids are free-form segments (`locks/s:lockid`): names with '%' and '/' can be asked for.
    const lock = (id: string) => ({ id, kind: 'master', name: id, workerName: null, maxCount: 1, holders: [], waiters: [] });
    data.setLockStateProvider(() => [lock('100%'), lock('a%2Fb'), lock('a/b')] as any);
    server = await createHttpServer({ data, port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => { await server.close(); await db.close(); });

  test('a name with a percent sign is found by its encoded name (%25), not answered 500', async () => {
    const r = await fetch(`${base}/api/v2/locks/100%25`);
    assert.equal(r.status, 200, await r.clone().text());
    assert.equal(((await r.json()) as any).locks[0].lockid, '100%');
  });

  test('a segment is decoded once: %252F is the literal text %2F, %2F a slash inside the segment', async () => {
    const twice = await fetch(`${base}/api/v2/locks/a%252Fb`);
    assert.equal(twice.status, 200, await twice.clone().text());
    assert.equal(((await twice.json()) as any).locks[0].lockid, 'a%2Fb');
    const once = await fetch(`${base}/api/v2/locks/a%2Fb`);
    assert.equal(once.status, 200, await once.clone().text());
    assert.equal(((await once.json()) as any).locks[0].lockid, 'a/b');
  });

  test('a malformed escape in a segment is a 400 with a JSON error, for reads and for control POSTs', async () => {
    const get = await fetch(`${base}/api/v2/builders/100%25zz%E0%A4`);
    assert.ok(get.status === 400 || get.status === 404, `status ${get.status}`);
    assert.equal(typeof ((await get.json()) as any).error, 'string');
    const post = await fetch(`${base}/api/v2/builders/100%25/builds/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'stop', id: 1 }) });
    assert.notEqual(post.status, 500);
  });
});
