/**
 * The UI static plugin over a real HTTP server: content types, ETag revalidation, gzip, the SPA
 * fallback for client routes, reserved prefixes, and requests that try to leave the UI folder.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerUiStatic } from '../packages/master/src/www/ui-static.js';

let app: FastifyInstance;
let port: number;
const dir = mkdtempSync(join(tmpdir(), 'mastro-ui-static-'));
const root = join(dir, 'ui');

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    // A raw request path: no client-side normalisation of `..` or `%2e`.
    const req = request({ host: '127.0.0.1', port, path, headers, method: 'GET' }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  mkdirSync(join(root, 'app', 'pages'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'style.css'), 'body{}'.repeat(200));
  writeFileSync(join(root, 'app', 'main.js'), 'export {};\n');
  writeFileSync(join(root, 'app', 'pages', 'build.js'), 'export const x = 1;\n');
  writeFileSync(join(dir, 'secret.txt'), 'top secret');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'leak.txt'));
  app = Fastify();
  app.get('/api/v2/builders', async () => ({ builders: [] }));
  await registerUiStatic(app, { root });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});

after(async () => {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the root serves index.html as HTML with a strict content security policy', async () => {
  const r = await get('/');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/html; charset=utf-8/);
  assert.match(String(r.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(r.headers['cache-control'], 'no-cache');
  assert.equal(r.body.toString(), '<!doctype html><title>t</title>');
});

test('modules and stylesheets get their content types and nested paths resolve', async () => {
  const js = await get('/app/pages/build.js');
  assert.equal(js.status, 200);
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  assert.equal(js.body.toString(), 'export const x = 1;\n');
  const css = await get('/style.css');
  assert.match(String(css.headers['content-type']), /^text\/css/);
});

test('an unchanged file is revalidated with its ETag and answered 304', async () => {
  const first = await get('/app/main.js');
  const etag = String(first.headers.etag);
  assert.match(etag, /^"[\w-]+"$/);
  const again = await get('/app/main.js', { 'if-none-match': etag });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
});

test('larger text files are sent gzip-compressed to clients that accept it', async () => {
  const r = await get('/style.css', { 'accept-encoding': 'gzip, br' });
  assert.equal(r.headers['content-encoding'], 'gzip');
  const { gunzipSync } = await import('node:zlib');
  assert.equal(gunzipSync(r.body).toString(), 'body{}'.repeat(200));
});

test('a client route requested by a browser gets index.html, other unknown paths 404', async () => {
  const route = await get('/builders/3/builds/7', { accept: 'text/html,application/xhtml+xml' });
  assert.equal(route.status, 200);
  assert.match(String(route.headers['content-type']), /^text\/html/);
  assert.equal((await get('/builders/3', { accept: 'application/json' })).status, 404);
  assert.equal((await get('/app/missing.js', { accept: 'text/html' })).status, 404);
});

test('API, auth and websocket prefixes never fall back to the UI', async () => {
  for (const p of ['/api/v2/nope', '/auth/whatever', '/ws', '/change_hook/x']) {
    const r = await get(p, { accept: 'text/html' });
    assert.equal(r.status, 404, p);
    assert.match(String(r.headers['content-type']), /json/, p);
  }
  // Real routes registered by other modules still win over the catch-all.
  assert.deepEqual(JSON.parse((await get('/api/v2/builders')).body.toString()), { builders: [] });
});

test('paths that try to leave the UI folder find nothing', async () => {
  for (const p of ['/../secret.txt', '/app/../../secret.txt', '/%2e%2e/secret.txt', '/app/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/leak.txt', '/index.html%00.js']) {
    const r = await get(p);
    assert.notEqual(r.body.toString(), 'top secret', p);
    assert.ok(r.status === 404 || r.status === 400, `${p} -> ${r.status}`);
  }
});

test('a master whose UI was not built says how to build it', async () => {
  const bare = Fastify();
  await registerUiStatic(bare, { root: join(dir, 'nothing-here') });
  const r = await bare.inject({ method: 'GET', url: '/' });
  assert.equal(r.statusCode, 503);
  assert.match(r.body, /npm run build/);
  await bare.close();
});
