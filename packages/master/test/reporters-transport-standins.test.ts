/**
 * The service stand-ins (test/support/standins/) that the reporter tests trust: each accepts the
 * request its service documents and records it, refuses a wrong method, path, header,
 * authentication or body with the service's own error shape, and fails, hangs or rate-limits on
 * demand. The failure modes are also driven through the HTTP transport, to show what a reporter
 * will see.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sendHttp, closeHttpConnections } from '../src/reporters/transport/http.js';
import { RateLimitError, TransportError, TransportErrorCodes as C } from '../src/reporters/transport/errors.js';
import {
  startGitHubStandin, startGitLabStandin, startGerritStandin, startSlackStandin, startMatrixStandin, XSSI_PREFIX, type Standin,
} from '../../../test/support/standins/index.js';

const servers: Standin[] = [];
afterEach(async () => { await closeHttpConnections(); while (servers.length) await servers.pop()!.close(); });
function keep<T extends { server: Standin }>(s: T): T { servers.push(s.server); return s; }

const SHA = 'a'.repeat(40);
const SHA2 = 'b'.repeat(40);

async function call(url: string, o: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) {
  const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body);
  const res = await fetch(url, { method: o.method ?? 'POST', headers: o.headers ?? {}, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown;
  try { json = JSON.parse(text.startsWith(")]}'") ? text.slice(5) : text); } catch { json = undefined; }
  return { status: res.status, text, json: json as Record<string, unknown>, headers: res.headers };
}

async function transportError(p: Promise<unknown>): Promise<TransportError> {
  try { await p; } catch (e) { assert.ok(e instanceof TransportError); return e; }
  assert.fail('expected the request to fail');
}

// ---------------------------------------------------------------- GitHub
const GH = { 'user-agent': 'mastro-test', accept: 'application/vnd.github+json', 'content-type': 'application/json' };

test('the GitHub stand-in accepts a commit status with either token form, also under /api/v3, and records it', async () => {
  const { server, github } = keep(await startGitHubStandin({ token: 'ghs_tok', repos: ['octo/app'] }));
  const ok = await call(`${server.url}/repos/octo/app/statuses/${SHA}`, { headers: { ...GH, authorization: 'token ghs_tok' }, body: { state: 'pending', target_url: 'http://ci/builds/1', description: 'Build started', context: 'mastro/test' } });
  assert.equal(ok.status, 201);
  assert.equal(ok.json.state, 'pending');
  assert.equal(ok.json.context, 'mastro/test');
  assert.match(ok.headers.get('x-ratelimit-remaining')!, /^\d+$/);
  const ent = await call(`${server.url}/api/v3/repos/octo/app/statuses/${SHA}`, { headers: { ...GH, authorization: 'Bearer ghs_tok' }, body: { state: 'success' } });
  assert.equal(ent.status, 201);
  assert.deepEqual(github.statuses.map((s) => [s.state, s.context]), [['pending', 'mastro/test'], ['success', 'default']]);
  assert.equal((await server.waitForAccepted(2)).length, 2);
});

test('the GitHub stand-in refuses what GitHub refuses, with GitHub\'s error bodies', async () => {
  const { server, github } = keep(await startGitHubStandin({ token: 'ghs_tok', repos: ['octo/app'] }));
  const url = `${server.url}/repos/octo/app/statuses/${SHA}`;
  const auth = { ...GH, authorization: 'token ghs_tok' };
  const cases: Array<[string, Parameters<typeof call>[1], number, RegExp]> = [
    [url, { headers: { ...GH }, body: { state: 'success' } }, 401, /Requires authentication/],
    [url, { headers: { ...GH, authorization: 'token wrong' }, body: { state: 'success' } }, 401, /Bad credentials/],
    [url, { headers: { ...auth, 'user-agent': '' }, body: { state: 'success' } }, 403, /User-Agent/],
    [url, { headers: { ...auth, accept: 'text/html' }, body: { state: 'success' } }, 415, /Accept/],
    [`${server.url}/repos/octo/other/statuses/${SHA}`, { headers: auth, body: { state: 'success' } }, 404, /Not Found/],
    [`${server.url}/repos/octo/app/statuses/abc123`, { headers: auth, body: { state: 'success' } }, 422, /No commit found for SHA: abc123/],
    [url, { headers: auth, body: { state: 'failed' } }, 422, /state is not included in the list/],
    [url, { headers: auth, body: { description: 'x' } }, 422, /state is missing/],
    [url, { headers: auth, body: { state: 'success', description: 'd'.repeat(141) } }, 422, /maximum is 140 characters/],
    [url, { headers: auth, body: { state: 'success', targetUrl: 'http://x' } }, 422, /targetUrl is not a field/],
    [url, { headers: auth, body: 'state=success' }, 400, /Problems parsing JSON/],
    [url, { method: 'PUT', headers: auth, body: { state: 'success' } }, 404, /Not Found/],
    [`${server.url}/repos/octo/app/issues/7/comments`, { headers: auth, body: { body: '' } }, 422, /body is missing/],
  ];
  for (const [u, o, status, re] of cases) {
    const r = await call(u, o);
    assert.equal(r.status, status, `${JSON.stringify(o)} -> ${r.text}`);
    assert.match(String(r.json.message) + JSON.stringify(r.json.errors ?? ''), re);
    assert.equal(r.json.documentation_url, 'https://docs.github.com/rest');
  }
  assert.equal(github.statuses.length, 0);
  assert.equal(server.refused.length, cases.length);
  assert.equal(server.accepted.length, 0);
  const c = await call(`${server.url}/repos/octo/app/issues/7/comments`, { headers: auth, body: { body: 'Build passed' } });
  assert.equal(c.status, 201);
  assert.deepEqual(github.comments, [{ repo: 'octo/app', issue: 7, body: 'Build passed' }]);
});

test('the GitHub stand-in fails, rate-limits in both of GitHub\'s ways and hangs on demand, and the transport reads each', async () => {
  const { server, github } = keep(await startGitHubStandin({ token: 'ghs_tok', repos: ['octo/app'] }));
  const req = { method: 'POST', url: `${server.url}/repos/octo/app/statuses/${SHA}`, headers: { ...GH, authorization: 'token ghs_tok' }, body: JSON.stringify({ state: 'success' }) };
  server.failNext(1, 502);
  const failed = await transportError(sendHttp(req));
  assert.deepEqual([failed.code, failed.status, failed.retryable], [C.SERVER_ERROR, 502, true]);
  server.rateLimitNext(1, 30);
  const secondary = await transportError(sendHttp(req));
  assert.ok(secondary instanceof RateLimitError);
  assert.equal(secondary.retryAfterMs, 30_000);
  github.rateLimitKind = 'primary';
  server.rateLimitNext(1, 600);
  const primary = await transportError(sendHttp(req));
  assert.ok(primary instanceof RateLimitError);
  assert.match(primary.message, /from x-ratelimit-reset/);
  server.hang(true);
  const hung = await transportError(sendHttp({ ...req, timeoutMs: 300 }));
  assert.equal(hung.code, C.TIMEOUT);
  server.hang(false);
  assert.equal((await sendHttp(req)).status, 201);
  assert.equal(github.statuses.length, 1, 'only the answered request counts');
  assert.equal(server.received.length, 5);
});

// ---------------------------------------------------------------- GitLab
test('the GitLab stand-in takes a status for a project by number or encoded path, as JSON or a form, with PRIVATE-TOKEN or Bearer', async () => {
  const { server, gitlab } = keep(await startGitLabStandin({ token: 'glpat-x', projects: [{ id: 7, path: 'group/app' }] }));
  const a = await call(`${server.url}/api/v4/projects/7/statuses/${SHA}`, { headers: { 'private-token': 'glpat-x', 'content-type': 'application/json' }, body: { state: 'running', name: 'mastro', ref: 'main', target_url: 'http://ci/b/1', description: 'running' } });
  assert.equal(a.status, 201);
  assert.equal(a.json.status, 'running');
  const b = await call(`${server.url}/api/v4/projects/group%2Fapp/statuses/${SHA}`, { headers: { authorization: 'Bearer glpat-x', 'content-type': 'application/x-www-form-urlencoded' }, body: 'state=success&name=mastro&ref=main' });
  assert.equal(b.status, 201);
  assert.deepEqual(gitlab.statuses.map((s) => [s.project, s.state, s.name, s.ref]), [[7, 'running', 'mastro', 'main'], [7, 'success', 'mastro', 'main']]);
});

test('the GitLab stand-in refuses a raw slash, a bad token, a bad state and the transitions GitLab refuses', async () => {
  const { server, gitlab } = keep(await startGitLabStandin({ token: 'glpat-x', projects: [{ id: 7, path: 'group/app' }] }));
  const h = { 'private-token': 'glpat-x', 'content-type': 'application/json' };
  const u = `${server.url}/api/v4/projects/7/statuses/${SHA}`;
  assert.deepEqual((await call(`${server.url}/api/v4/projects/group/app/statuses/${SHA}`, { headers: h, body: { state: 'success' } })).json, { error: '404 Not Found' });
  assert.deepEqual((await call(`${server.url}/api/v4/projects/99/statuses/${SHA}`, { headers: h, body: { state: 'success' } })).json, { message: '404 Project Not Found' });
  const unauth = await call(u, { headers: { ...h, 'private-token': 'nope' }, body: { state: 'success' } });
  assert.deepEqual([unauth.status, unauth.json], [401, { message: '401 Unauthorized' }]);
  assert.deepEqual((await call(u, { headers: h, body: { state: 'failure' } })).json, { error: 'state does not have a valid value' });
  assert.deepEqual((await call(u, { headers: h, body: {} })).json, { error: 'state is missing, state does not have a valid value' });
  assert.match(String((await call(u, { headers: h, body: { state: 'success', colour: 'red' } })).json.error), /colour does not have a valid value/);
  assert.equal((await call(u, { headers: h, body: { state: 'running', name: 'ci' } })).status, 201);
  const twice = await call(u, { headers: h, body: { state: 'running', name: 'ci' } });
  assert.deepEqual([twice.status, twice.json.message], [400, 'Cannot transition status via :run from :running (Reason(s): Status cannot transition via "run".)']);
  assert.match(String((await call(u, { headers: h, body: { state: 'pending', name: 'ci' } })).json.message), /Cannot transition status via :enqueue from :running/);
  assert.equal((await call(u, { headers: h, body: { state: 'failed', name: 'ci' } })).status, 201);
  assert.equal((await call(u, { headers: h, body: { state: 'pending', name: 'ci' } })).status, 201, 'a finished status may start over (a new pipeline)');
  assert.deepEqual(gitlab.statuses.map((s) => s.state), ['running', 'failed', 'pending']);
});

test('the GitLab stand-in rate-limits with GitLab\'s headers and the transport waits for them', async () => {
  const { server } = keep(await startGitLabStandin({ token: 'glpat-x', projects: [{ id: 7, path: 'group/app' }] }));
  server.rateLimitNext(1, 12);
  const e = await transportError(sendHttp({ method: 'POST', url: `${server.url}/api/v4/projects/7/statuses/${SHA}`, headers: { 'private-token': 'glpat-x', 'content-type': 'application/json' }, body: '{"state":"success"}' }));
  assert.ok(e instanceof RateLimitError);
  assert.equal(e.retryAfterMs, 12_000);
  assert.doesNotMatch(e.message, /glpat-x/);
});

// ---------------------------------------------------------------- Gerrit
const change = { number: 123, project: 'tools/app', branch: 'main', changeId: `I${'1'.repeat(40)}`, patchSets: [SHA, SHA2] };
const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

test('the Gerrit stand-in takes a review with labels behind HTTP Basic, by any change and revision id, and answers behind )]}\'', async () => {
  const { server, gerrit } = keep(await startGerritStandin({ user: 'ci', httpPassword: 'gerrit-http-pw', changes: [change] }));
  const h = { authorization: basic('ci', 'gerrit-http-pw'), 'content-type': 'application/json; charset=UTF-8' };
  const ids: Array<[string, string, number]> = [['123', '2', 2], ['tools%2Fapp~123', 'current', 2], [`tools%2Fapp~main~${change.changeId}`, '1', 1], [change.changeId, SHA2.slice(0, 7), 2]];
  for (const [c, rev, ps] of ids) {
    const r = await call(`${server.url}/a/changes/${c}/revisions/${rev}/review`, { headers: h, body: { message: 'Build passed', labels: { Verified: 1 }, tag: 'autogenerated:mastro' } });
    assert.equal(r.status, 200, r.text);
    assert.ok(r.text.startsWith(XSSI_PREFIX));
    assert.deepEqual(r.json, { labels: { Verified: 1 } });
    assert.deepEqual(gerrit.reviews.at(-1), { change: 123, patchSet: ps, labels: { Verified: 1 }, message: 'Build passed', tag: 'autogenerated:mastro', user: 'ci' });
  }
});

test('the Gerrit stand-in refuses anonymous, wrong password, wrong content type, unknown change or patch set, and bad votes', async () => {
  const { server, gerrit } = keep(await startGerritStandin({ user: 'ci', httpPassword: 'gerrit-http-pw', changes: [change] }));
  const h = { authorization: basic('ci', 'gerrit-http-pw'), 'content-type': 'application/json' };
  const u = `${server.url}/a/changes/123/revisions/2/review`;
  const cases: Array<[string, Parameters<typeof call>[1], number, RegExp]> = [
    [`${server.url}/changes/123/revisions/2/review`, { headers: h, body: { labels: { Verified: 1 } } }, 403, /Authentication required/],
    [u, { headers: { ...h, authorization: basic('ci', 'wrong') }, body: {} }, 401, /Unauthorized/],
    [u, { headers: { ...h, 'content-type': 'text/plain' }, body: {} }, 415, /Expected Content-Type: application\/json/],
    [`${server.url}/a/changes/999/revisions/1/review`, { headers: h, body: {} }, 404, /Not found: 999/],
    [`${server.url}/a/changes/123/revisions/3/review`, { headers: h, body: {} }, 404, /Not found: 3/],
    [u, { headers: h, body: { labels: { Verified: 2 } } }, 400, /"Verified": 2 is not a permitted value \(-1\.\.\+1\)/],
    [u, { headers: h, body: { labels: { Verify: 1 } } }, 400, /label "Verify" is not a configured label/],
    [u, { headers: h, body: { labels: { Verified: 1 }, score: 1 } }, 400, /unknown field "score"/],
  ];
  for (const [url, o, status, re] of cases) {
    const r = await call(url, o);
    assert.equal(r.status, status, r.text);
    assert.match(r.text, re);
  }
  assert.equal(gerrit.reviews.length, 0);
  const wa = await call(u, { headers: { ...h, authorization: basic('ci', 'wrong') }, body: {} });
  assert.equal(wa.headers.get('www-authenticate'), 'Basic realm="Gerrit Code Review"');
});

// ---------------------------------------------------------------- Slack-compatible webhook
test('the Slack webhook stand-in answers ok to text or blocks at its secret path and Slack\'s words to mistakes', async () => {
  const { server, slack, webhookUrl } = keep(await startSlackStandin());
  const h = { 'content-type': 'application/json' };
  assert.deepEqual([(await call(webhookUrl, { headers: h, body: { text: 'Build failed' } })).text], ['ok']);
  assert.equal((await call(webhookUrl, { headers: h, body: { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*failed*' } }] } })).text, 'ok');
  const cases: Array<[string, Parameters<typeof call>[1], number, string]> = [
    [`${server.url}/services/T0/B0/wrong`, { headers: h, body: { text: 'x' } }, 404, 'no_service'],
    [webhookUrl, { headers: h, body: {} }, 400, 'no_text'],
    [webhookUrl, { headers: h, body: { text: '  ' } }, 400, 'no_text'],
    [webhookUrl, { headers: { 'content-type': 'text/plain' }, body: 'Build failed' }, 400, 'invalid_payload'],
    [webhookUrl, { headers: h, body: { blocks: [{ text: 'no type' }] } }, 400, 'invalid_blocks'],
  ];
  for (const [url, o, status, w] of cases) {
    const r = await call(url, o);
    assert.deepEqual([r.status, r.text], [status, w]);
  }
  assert.deepEqual(slack.messages.map((m) => m.text ?? m.blocks?.length), ['Build failed', 1]);
  server.rateLimitNext(1, 2);
  const e = await transportError(sendHttp({ method: 'POST', url: webhookUrl, headers: h, body: '{"text":"x"}', secretPath: true }));
  assert.ok(e instanceof RateLimitError);
  assert.equal(e.retryAfterMs, 2000);
  assert.doesNotMatch(e.message, /XXXXmastroXXXXtokenXXXX/);
});

// ---------------------------------------------------------------- Matrix
test('the Matrix stand-in posts a message once per transaction ID and answers with its event ID', async () => {
  const { server, matrix } = keep(await startMatrixStandin({ accessToken: 'syt_tok', rooms: ['!room:mastro.test'] }));
  const u = `${server.url}/_matrix/client/v3/rooms/${encodeURIComponent('!room:mastro.test')}/send/m.room.message/txn-1`;
  const h = { authorization: 'Bearer syt_tok', 'content-type': 'application/json' };
  const body = { msgtype: 'm.notice', body: 'Build failed', format: 'org.matrix.custom.html', formatted_body: '<b>Build failed</b>' };
  const first = await call(u, { method: 'PUT', headers: h, body });
  const again = await call(u, { method: 'PUT', headers: h, body });
  assert.equal(first.status, 200);
  assert.match(String(first.json.event_id), /^\$/);
  assert.equal(again.json.event_id, first.json.event_id, 'a retried transaction is the same event');
  assert.equal(matrix.events.length, 1);
  assert.deepEqual(matrix.events[0]!.content, body);
});

test('the Matrix stand-in refuses a wrong method, path or token, a room the bot is not in and malformed content, with Matrix error codes', async () => {
  const { server, matrix } = keep(await startMatrixStandin({ accessToken: 'syt_tok', rooms: ['!room:mastro.test'] }));
  const path = (room: string, v = 'v3') => `${server.url}/_matrix/client/${v}/rooms/${encodeURIComponent(room)}/send/m.room.message/t${Math.random()}`;
  const h = { authorization: 'Bearer syt_tok', 'content-type': 'application/json' };
  const ok = { msgtype: 'm.text', body: 'hi' };
  const cases: Array<[string, Parameters<typeof call>[1], number, string]> = [
    [path('!room:mastro.test'), { method: 'POST', headers: h, body: ok }, 405, 'M_UNRECOGNIZED'],
    [path('!room:mastro.test', 'r0'), { method: 'PUT', headers: h, body: ok }, 404, 'M_UNRECOGNIZED'],
    [path('!room:mastro.test'), { method: 'PUT', headers: { 'content-type': 'application/json' }, body: ok }, 401, 'M_MISSING_TOKEN'],
    [path('!room:mastro.test'), { method: 'PUT', headers: { ...h, authorization: 'Bearer nope' }, body: ok }, 401, 'M_UNKNOWN_TOKEN'],
    [path('!other:mastro.test'), { method: 'PUT', headers: h, body: ok }, 403, 'M_FORBIDDEN'],
    [path('#alias:mastro.test'), { method: 'PUT', headers: h, body: ok }, 400, 'M_INVALID_PARAM'],
    [path('!room:mastro.test'), { method: 'PUT', headers: h, body: 'not json' }, 400, 'M_NOT_JSON'],
    [path('!room:mastro.test'), { method: 'PUT', headers: h, body: { body: 'no msgtype' } }, 400, 'M_BAD_JSON'],
    [path('!room:mastro.test'), { method: 'PUT', headers: h, body: { ...ok, format: 'org.matrix.custom.html' } }, 400, 'M_BAD_JSON'],
  ];
  for (const [url, o, status, errcode] of cases) {
    const r = await call(url, o);
    assert.deepEqual([r.status, r.json.errcode], [status, errcode], r.text);
    assert.equal(typeof r.json.error, 'string');
  }
  assert.equal(matrix.events.length, 0);
  server.rateLimitNext(1, 3);
  const e = await transportError(sendHttp({ method: 'PUT', url: path('!room:mastro.test'), headers: h, body: JSON.stringify(ok) }));
  assert.ok(e instanceof RateLimitError);
  assert.equal(e.retryAfterMs, 3000);
  assert.match(e.message, /M_LIMIT_EXCEEDED/);
});
