/**
 * The reporters' HTTP transport against real servers on loopback: plain HTTP, HTTPS with a CA made
 * by openssl for this run, a forward proxy (CONNECT tunnel and plain forwarding) chosen through the
 * proxy variables, a server that accepts connections and never answers, and services answering
 * with rate limits, failures and refusals in GitHub's and GitLab's shapes.
 */
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendHttp, closeHttpConnections, type HttpRequest } from '../src/reporters/transport/http.js';
import { RateLimitError, TransportError, TransportErrorCodes as C, isRetryable } from '../src/reporters/transport/errors.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCa, type TestCa } from '../../../test/support/test-ca.js';
import { startForwardProxy } from '../../../test/support/http-proxy.js';
import { listenLocal, readRequest, sendReply } from '../../../test/support/standins/http-standin.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
const closers: Array<() => Promise<void>> = [];
const tmp = mkdtempSync(join(tmpdir(), 'mastro-http-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const ca: TestCa = makeTestCa(tmp);

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];
const savedEnv = Object.fromEntries(PROXY_VARS.map((v) => [v, process.env[v]]));
function setProxyEnv(vars: Record<string, string>): void {
  for (const v of PROXY_VARS) delete process.env[v];
  Object.assign(process.env, vars);
}

afterEach(async () => {
  setProxyEnv({});
  await closeHttpConnections();
  while (closers.length) await closers.pop()!();
});
after(() => { for (const [k, v] of Object.entries(savedEnv)) if (v === undefined) delete process.env[k]; else process.env[k] = v; });
setProxyEnv({});

async function serve(route: Route, tls = false): Promise<string> {
  const srv = await listenLocal((req, res) => { void route(req, res); }, tls ? { cert: ca.cert, key: ca.key } : undefined);
  closers.push(srv.close);
  return srv.url;
}

const echo: Route = async (req, res) => {
  const r = await readRequest(req);
  sendReply(res, { status: 201, headers: { 'x-seen-method': r.method, 'X-Mixed-Case': 'yes' }, body: { path: r.rawPath, headers: r.headers, body: r.json } });
};

async function rejection(req: HttpRequest): Promise<TransportError> {
  try { await sendHttp(req); } catch (e) { assert.ok(e instanceof TransportError, `expected a TransportError, got ${String(e)}`); return e; }
  assert.fail('the request succeeded but should have failed');
}

test('a JSON POST reaches a local HTTP server and its status, lower-case headers and body come back', async () => {
  const url = await serve(echo);
  const res = await sendHttp({ method: 'post', url: `${url}/repos/o/r/statuses/abc`, headers: { 'content-type': 'application/json', accept: 'application/vnd.github+json' }, body: JSON.stringify({ state: 'success' }) });
  assert.equal(res.status, 201);
  assert.equal(res.headers['x-seen-method'], 'POST');
  assert.equal(res.headers['x-mixed-case'], 'yes');
  assert.equal(res.truncated, false);
  const got = JSON.parse(res.body) as { path: string; headers: Record<string, string>; body: unknown };
  assert.equal(got.path, '/repos/o/r/statuses/abc');
  assert.equal(got.headers.accept, 'application/vnd.github+json');
  assert.deepEqual(got.body, { state: 'success' });
});

test('TLS is verified by default: a server whose CA is not trusted is refused with a TLS error that names the ca option', async () => {
  const url = await serve(echo, true);
  const err = await rejection({ method: 'GET', url: `${url}/x` });
  assert.equal(err.code, C.TLS);
  assert.match(err.message, /not trusted .*ca option/);
});

test('the reporter\'s CA, as PEM text or as a file, makes a privately signed HTTPS server trusted', async () => {
  const url = await serve(echo, true);
  assert.equal((await sendHttp({ method: 'GET', url: `${url}/pem`, ca: ca.caPem })).status, 201);
  assert.equal((await sendHttp({ method: 'GET', url: `${url}/file`, ca: ca.caFile })).status, 201);
  assert.equal((await sendHttp({ method: 'GET', url: `${url.replace('127.0.0.1', 'localhost')}/by-name`, ca: ca.caFile })).status, 201);
});

test('rejectUnauthorized: false accepts an untrusted certificate', async () => {
  const url = await serve(echo, true);
  assert.equal((await sendHttp({ method: 'GET', url: `${url}/x`, rejectUnauthorized: false })).status, 201);
});

test('a CA file that cannot be read is a permanent configuration error that says how to give the CA', async () => {
  const url = await serve(echo, true);
  const err = await rejection({ method: 'GET', url, ca: '/nonexistent/ca.pem' });
  assert.equal(err.code, C.CONFIG);
  assert.equal(err.retryable, false);
  assert.match(err.message, /CA file \/nonexistent\/ca\.pem cannot be read \(ENOENT\): give ca as PEM text/);
});

test('HTTPS_PROXY carries an https request through a CONNECT tunnel, and TLS to the service is still verified end to end', async () => {
  const url = await serve(echo, true);
  const proxy = await startForwardProxy();
  closers.push(proxy.close);
  setProxyEnv({ HTTPS_PROXY: proxy.url });
  const res = await sendHttp({ method: 'POST', url: `${url}/tunnelled`, body: '{}', headers: { 'content-type': 'application/json' }, ca: ca.caPem });
  assert.equal(res.status, 201);
  assert.deepEqual(proxy.uses.map((u) => [u.kind, u.target]), [['connect', new URL(url).host]]);
  const untrusted = await rejection({ method: 'GET', url: `${url}/again` });
  assert.equal(untrusted.code, C.TLS, 'the tunnel must not weaken certificate checks');
});

test('HTTP_PROXY forwards a plain http request to the proxy with its absolute URL', async () => {
  const url = await serve(echo);
  const proxy = await startForwardProxy();
  closers.push(proxy.close);
  setProxyEnv({ http_proxy: proxy.url });
  assert.equal((await sendHttp({ method: 'GET', url: `${url}/forwarded` })).status, 201);
  assert.deepEqual(proxy.uses.map((u) => [u.kind, u.target]), [['forward', `${url}/forwarded`]]);
});

test('NO_PROXY sends requests for the hosts it names directly and the others through the proxy', async () => {
  const url = await serve(echo);
  const byName = url.replace('127.0.0.1', 'localhost');
  const proxy = await startForwardProxy();
  closers.push(proxy.close);
  setProxyEnv({ HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,.internal.example' });
  assert.equal((await sendHttp({ method: 'GET', url: `${byName}/direct` })).status, 201);
  assert.equal(proxy.uses.length, 0, 'localhost is in NO_PROXY');
  assert.equal((await sendHttp({ method: 'GET', url: `${url}/proxied` })).status, 201);
  assert.deepEqual(proxy.uses.map((u) => u.target), [`${url}/proxied`]);
  assert.equal((await sendHttp({ method: 'GET', url: `${url}/opt-out`, useEnvProxy: false })).status, 201);
  assert.equal(proxy.uses.length, 1, 'useEnvProxy: false never uses the proxy');
});

test('a proxy that refuses the credentials in HTTPS_PROXY gives a permanent proxy error without the proxy password', async () => {
  const url = await serve(echo, true);
  const proxy = await startForwardProxy({ requireAuth: { user: 'ci', password: 'right-Pr0xyPass' } });
  closers.push(proxy.close);
  setProxyEnv({ HTTPS_PROXY: proxy.url.replace('//', '//ci:wrong-Pr0xyPass@') });
  const err = await rejection({ method: 'GET', url: `${url}/x`, ca: ca.caPem });
  assert.equal(err.code, C.PROXY);
  assert.equal(err.retryable, false);
  assert.match(err.message, /proxy asks for credentials/);
  assert.doesNotMatch(err.message, /wrong-Pr0xyPass/);
  setProxyEnv({ HTTPS_PROXY: proxy.url.replace('//', '//ci:right-Pr0xyPass@') });
  assert.equal((await sendHttp({ method: 'GET', url: `${url}/y`, ca: ca.caPem })).status, 201);
  assert.equal(proxy.uses.at(-1)!.proxyAuthorization, `Basic ${Buffer.from('ci:right-Pr0xyPass').toString('base64')}`);
});

test('a server that accepts the request and never answers ends in a retryable timeout after timeoutMs', async () => {
  const held: ServerResponse[] = [];
  const url = await serve((_req, res) => { held.push(res); });
  const err = await rejection({ method: 'POST', url: `${url}/hang`, body: 'x', timeoutMs: 300 });
  assert.equal(err.code, C.TIMEOUT);
  assert.equal(err.retryable, true);
  assert.match(err.message, /no complete answer within 300 ms/);
  assert.equal(held.length, 1, 'the request reached the server');
});

test('a TLS port that never completes the handshake ends in a retryable connect timeout after connectTimeoutMs', async () => {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => { for (const s of sockets) s.destroy(); silent.close(() => r()); }));
  const port = (silent.address() as { port: number }).port;
  const err = await rejection({ method: 'GET', url: `https://127.0.0.1:${port}/`, connectTimeoutMs: 300, timeoutMs: 60_000 });
  assert.equal(err.code, C.TIMEOUT);
  assert.match(err.message, /could not connect within 300 ms/);
  assert.equal(sockets.size, 1);
});

test('a refused connection is a retryable network error that says nothing listens there', async () => {
  const url = await serve(echo);
  await closers.pop()!();
  const err = await rejection({ method: 'GET', url });
  assert.equal(err.code, C.NETWORK);
  assert.ok(isRetryable(err));
  assert.match(err.message, /connection refused \(127\.0\.0\.1:\d+\): nothing listens there/);
});

test('429 with retry-after becomes a RateLimitError that waits that long', async () => {
  const url = await serve((_q, res) => sendReply(res, { status: 429, headers: { 'retry-after': '7' }, body: 'Retry later' }));
  const before = Date.now();
  const err = await rejection({ method: 'POST', url, body: '{}' });
  assert.ok(err instanceof RateLimitError);
  assert.equal(err.retryAfterMs, 7000);
  assert.ok(err.resetAt >= before + 7000);
  assert.equal(err.retryable, true);
  assert.equal(err.code, C.RATE_LIMITED);
  assert.match(err.message, /rate-limited \(HTTP 429: Retry later\); waiting 7 s/);
});

test('GitHub\'s primary limit (403, x-ratelimit-remaining 0) waits until x-ratelimit-reset', async () => {
  const reset = Math.floor(Date.now() / 1000) + 120;
  const url = await serve((_q, res) => sendReply(res, { status: 403, headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) },
    body: { message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' } }));
  const err = await rejection({ method: 'POST', url, body: '{}' });
  assert.ok(err instanceof RateLimitError);
  assert.ok(Math.abs(err.resetAt - reset * 1000) < 2000, `resetAt ${err.resetAt} is near ${reset * 1000}`);
  assert.match(err.message, /API rate limit exceeded.*from x-ratelimit-reset/);
});

test('GitHub\'s secondary limit without retry-after waits the documented minute, and a plain 403 is a permission error', async () => {
  let secondary = true;
  const url = await serve((_q, res) => sendReply(res, secondary
    ? { status: 403, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } }
    : { status: 403, body: { message: 'Resource not accessible by integration' } }));
  const limited = await rejection({ method: 'POST', url, body: '{}' });
  assert.ok(limited instanceof RateLimitError);
  assert.equal(limited.retryAfterMs, 60_000);
  secondary = false;
  const denied = await rejection({ method: 'POST', url, body: '{}' });
  assert.ok(!(denied instanceof RateLimitError));
  assert.equal(denied.code, C.AUTH);
  assert.equal(denied.retryable, false);
  assert.match(denied.message, /HTTP 403: Resource not accessible by integration; the credentials lack permission/);
});

test('GitLab\'s 429 with ratelimit-reset and no retry-after waits until the reset', async () => {
  const reset = Math.floor(Date.now() / 1000) + 30;
  const url = await serve((_q, res) => sendReply(res, { status: 429, headers: { 'ratelimit-limit': '600', 'ratelimit-remaining': '0', 'ratelimit-reset': String(reset) }, body: 'Retry later' }));
  const err = await rejection({ method: 'POST', url, body: '{}' });
  assert.ok(err instanceof RateLimitError);
  assert.ok(Math.abs(err.resetAt - reset * 1000) < 2000);
  assert.match(err.message, /from ratelimit-reset/);
});

test('a successful answer reports the remaining allowance so a pool can slow down before the limit', async () => {
  const url = await serve((_q, res) => sendReply(res, { status: 201, headers: { 'x-ratelimit-remaining': '3', 'x-ratelimit-reset': '1900000000' }, body: {} }));
  const res = await sendHttp({ method: 'POST', url, body: '{}' });
  assert.deepEqual(res.rateLimit, { remaining: 3, resetAt: 1_900_000_000_000 });
});

test('5xx is retryable (with the wait a 503 asks for) and 4xx is permanent with the service\'s own message', async () => {
  const answers: Record<string, { status: number; headers?: Record<string, string>; body: unknown }> = {
    '/500': { status: 500, body: 'boom' },
    '/503': { status: 503, headers: { 'retry-after': '5' }, body: 'maintenance' },
    '/401': { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } },
    '/404': { status: 404, body: { message: '404 Project Not Found' } },
    '/422': { status: 422, body: { message: 'Validation Failed', errors: [{ resource: 'Status', field: 'state', code: 'custom' }] } },
    '/400': { status: 400, body: { error: 'state does not have a valid value' } },
    '/301': { status: 301, headers: { location: 'https://api.example/repos/new/name' }, body: '' },
  };
  const url = await serve((req, res) => sendReply(res, answers[req.url!]!));
  const e500 = await rejection({ method: 'POST', url: `${url}/500` });
  assert.deepEqual([e500.code, e500.retryable, e500.status, e500.retryAfterMs], [C.SERVER_ERROR, true, 500, undefined]);
  const e503 = await rejection({ method: 'POST', url: `${url}/503` });
  assert.deepEqual([e503.code, e503.retryable, e503.retryAfterMs], [C.SERVER_ERROR, true, 5000]);
  assert.ok(!(e503 instanceof RateLimitError));
  const e401 = await rejection({ method: 'POST', url: `${url}/401` });
  assert.deepEqual([e401.code, e401.retryable], [C.AUTH, false]);
  assert.match(e401.message, /HTTP 401: Bad credentials; the credentials were refused: check the reporter's token/);
  const e404 = await rejection({ method: 'POST', url: `${url}/404` });
  assert.deepEqual([e404.code, e404.retryable], [C.REFUSED, false]);
  assert.match(e404.message, /404 Project Not Found; no such resource: check the URL/);
  const e422 = await rejection({ method: 'POST', url: `${url}/422` });
  assert.match(e422.message, /HTTP 422: Validation Failed .*"field":"state".*refused the request as invalid/);
  assert.equal(e422.retryable, false);
  const e400 = await rejection({ method: 'POST', url: `${url}/400` });
  assert.match(e400.message, /HTTP 400: state does not have a valid value/);
  const e301 = await rejection({ method: 'POST', url: `${url}/301` });
  assert.equal(e301.retryable, false);
  assert.match(e301.message, /redirects to https:\/\/api\.example\/repos\/new\/name; redirects are not followed/);
});

test('no secret reaches an error text: not the Authorization value, a Basic password, a token in the query or one the service echoes', async () => {
  const TOKEN = 'ghp_VerySecretTokenValue1234567890';
  const url = await serve(async (req, res) => {
    const r = await readRequest(req);
    sendReply(res, { status: 401, body: { message: `Bad credentials for ${r.headers.authorization} and ${r.query.get('access_token')} and ${r.headers['private-token']}` } });
  });
  for (const headers of [{ authorization: `token ${TOKEN}` }, { authorization: `Bearer ${TOKEN}` }, { authorization: `Basic ${Buffer.from(`bot:${TOKEN}`).toString('base64')}` }, { 'private-token': TOKEN }]) {
    const err = await rejection({ method: 'POST', url: `${url}/x?access_token=${TOKEN}`, headers });
    for (const text of [err.message, err.detail ?? '', err.target]) {
      assert.doesNotMatch(text, new RegExp(TOKEN), `secret leaked in ${JSON.stringify(text)}`);
      assert.doesNotMatch(text, new RegExp(Buffer.from(`bot:${TOKEN}`).toString('base64')));
    }
    assert.match(err.message, /access_token=\*\*\*/);
  }
  const hook = await rejection({ method: 'POST', url: `${url}/services/T0/B0/${TOKEN}`, secretPath: true });
  assert.doesNotMatch(hook.message, new RegExp(TOKEN));
  assert.match(hook.message, /^POST http:\/\/127\.0\.0\.1:\d+\/\*\*\*: /);
});

test('credentials written into the URL are refused with advice instead of being sent', async () => {
  const url = await serve(echo);
  const err = await rejection({ method: 'GET', url: url.replace('//', '//user:Passw0rdInUrl@') });
  assert.equal(err.code, C.CONFIG);
  assert.doesNotMatch(err.message, /Passw0rdInUrl/);
  assert.match(err.message, /credentials in the URL are not sent/);
});

test('a response body longer than maxResponseBytes is cut and flagged, not buffered whole', async () => {
  const url = await serve((_q, res) => { res.writeHead(200); res.end('x'.repeat(100_000)); });
  const res = await sendHttp({ method: 'GET', url, maxResponseBytes: 1000 });
  assert.equal(res.status, 200);
  assert.equal(res.body.length, 1000);
  assert.equal(res.truncated, true);
  const full = await sendHttp({ method: 'GET', url });
  assert.equal(full.body.length, 100_000);
  assert.equal(full.truncated, false);
});
