/**
 * Every error answer of the HTTP server has one shape, `{"error": "<message>"}` (a JSON-RPC error
 * object for POSTs under /api/), also for what fastify answers before any route runs: a URL that is
 * not valid percent-encoding, an over-long path parameter, a request that is not HTTP at all.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';

/** Sends raw bytes and reads everything until the server closes the connection. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let out = '';
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('error', (err) => (out ? resolve(out) : reject(err)));
    s.on('close', () => resolve(out));
  });
}

function parseRaw(raw: string): { status: number; contentType: string; body: any } {
  const [head, body = ''] = raw.split('\r\n\r\n', 2) as [string, string?];
  const status = Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1]);
  const contentType = /content-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '';
  return { status, contentType, body: JSON.parse(body) };
}

describe('HTTP error answers', () => {
  let db: Db; let server: HttpServer; let base = '';
  before(async () => {
    db = await openDatabase('sqlite::memory:');
    const data = new DataConnector(db, new InProcessMessageQueue());
    await data.updates.masterActive('m');
    server = await createHttpServer({ data, port: 0, host: '127.0.0.1', changeHooks: { base: {} } });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => { await server.close(); await db.close(); });

  test('a URL that is not valid percent-encoding answers 400 {"error"} saying how to encode a %', async () => {
    for (const path of ['/api/v2/builders/%E0', '/api/v2/%', '/change_hook/%zz', '/%', '/ui/%E0%A4']) {
      const r = await fetch(base + path);
      assert.equal(r.status, 400, path);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/, path);
      const body = (await r.json()) as Record<string, unknown>;
      assert.deepEqual(Object.keys(body), ['error'], `${path}: ${JSON.stringify(body)}`);
      assert.match(String(body.error), /not valid percent-encoding.*%25/, path);
    }
  });

  test('the same URL in a JSON-RPC POST under /api/ answers a JSON-RPC error', async () => {
    const r = await fetch(`${base}/api/v2/builds/%E0`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'stop', id: 1 }) });
    assert.equal(r.status, 400);
    const body = (await r.json()) as any;
    assert.deepEqual(Object.keys(body).sort(), ['error', 'id', 'jsonrpc']);
    assert.equal(body.error.code, -32600);
    assert.match(body.error.message, /not valid percent-encoding/);
  });

  test('a path parameter longer than the router accepts answers 414 {"error"}', async () => {
    const r = await fetch(`${base}/change_hook/${'d'.repeat(150)}`, { method: 'POST', body: '' });
    assert.equal(r.status, 414);
    const body = (await r.json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['error']);
    assert.match(String(body.error), /longer than this server accepts/);
  });

  test('a request that is not HTTP answers 400 {"error"} and the connection closes', async () => {
    const r = parseRaw(await rawRequest(server.port, 'NOT HTTP AT ALL\r\n\r\n'));
    assert.equal(r.status, 400);
    assert.match(r.contentType, /application\/json/);
    assert.deepEqual(r.body, { error: 'the request is not valid HTTP/1.1' });
  });

  test('headers larger than node accepts answer 431 {"error"} naming what to shrink', async () => {
    const r = parseRaw(await rawRequest(server.port, `GET /api/v2/builders HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
    assert.equal(r.status, 431);
    assert.deepEqual(Object.keys(r.body), ['error']);
    assert.match(r.body.error, /headers are larger/);
  });

  test('the server still answers normally afterwards', async () => {
    const r = await fetch(`${base}/api/v2/builders`);
    assert.equal(r.status, 200);
  });
});
