import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { PassThrough } from 'node:stream';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { UsersStore } from '../src/www/auth/users-store.js';
import { runUserCommand } from '../src/cli/user.js';

/** Cookie jar of one simulated browser. */
class Browser {
  cookies = new Map<string, string>();
  constructor(private readonly base: string) {}
  header(): string { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.header());
    const r = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    for (const c of r.headers.getSetCookie()) {
      const [kv] = c.split(';');
      const i = kv!.indexOf('=');
      const k = kv!.slice(0, i); const v = kv!.slice(i + 1);
      if (/Max-Age=0/.test(c)) this.cookies.delete(k); else this.cookies.set(k, v);
    }
    return r;
  }
  postJson(path: string, body: unknown, headers: Record<string, string> = {}) {
    return this.fetch(path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  }
}

async function runCli(args: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  const input = new PassThrough(); input.end(stdin);
  let out = ''; let err = '';
  const stdout = new PassThrough(); stdout.on('data', (d) => { out += d; });
  const stderr = new PassThrough(); stderr.on('data', (d) => { err += d; });
  const code = await runUserCommand(args, { stdin: input, stdout, stderr });
  return { code, out, err };
}

describe('authentication over real HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-auth-'));
  let db: Db; let server: HttpServer; let base: string; let token = '';
  let provider: Server; let providerUrl = '';
  const providerCalls: string[] = [];

  before(async () => {
    assert.equal((await runCli(['add', dir, 'alice', '--roles', 'admin,dev', '--password-stdin'], 'alice-password\n')).code, 0);
    assert.equal((await runCli(['add', dir, 'bob', '--password-stdin'], 'bob-password\n')).code, 0);
    const t = await runCli(['token', dir, 'alice']);
    assert.equal(t.code, 0);
    token = t.out.trim();

    // A local stand-in for GitHub and GitLab: authorize is the browser's job, so only token and user APIs.
    provider = createServer((req, res) => {
      providerCalls.push(`${req.method} ${req.url}`);
      let body = '';
      req.on('data', (d) => { body += d; });
      req.on('end', () => {
        const send = (o: unknown) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(o)); };
        const auth = req.headers.authorization;
        if (req.url === '/login/oauth/access_token' || req.url === '/oauth/token') {
          const p = new URLSearchParams(body);
          if (p.get('client_secret') !== 'shh' || p.get('code') !== 'good-code') { res.statusCode = 401; return send({ error: 'bad_verification_code' }); }
          return send({ access_token: 'provider-token', token_type: 'bearer' });
        }
        if (auth !== 'Bearer provider-token') { res.statusCode = 401; return send({ message: 'Bad credentials' }); }
        if (req.url === '/api/user') return send({ login: 'octocat', name: 'The Octocat', email: 'o@example.com' });
        if (req.url === '/api/user/orgs') return send([{ login: 'acme' }, { login: 'other' }]);
        if (req.url === '/api/v4/user') return send({ username: 'tanuki', name: 'Tanuki', email: 't@example.com' });
        if (req.url?.startsWith('/api/v4/groups')) return send([{ full_path: 'acme/ci' }]);
        res.statusCode = 404; send({});
      });
    });
    await new Promise<void>((r) => provider.listen(0, '127.0.0.1', r));
    providerUrl = `http://127.0.0.1:${(provider.address() as any).port}`;

    db = await openDatabase('sqlite::memory:');
    const data = new DataConnector(db, new InProcessMessageQueue());
    await data.updates.masterActive('m');
    server = await createHttpServer({
      data, port: 0, host: '127.0.0.1', masterDir: dir,
      auth: {
        users: [{ username: 'bob', roles: ['tester'] }, { username: 'github:octocat', roles: ['reviewer'] }],
        loginBurst: 3, loginRefillPerSecond: 0.001,
        github: { clientId: 'gh-client', clientSecret: 'shh', baseUrl: providerUrl, apiUrl: `${providerUrl}/api`, groupRoles: { acme: ['dev'] } },
        gitlab: { clientId: 'gl-client', clientSecret: 'shh', baseUrl: providerUrl, groupRoles: { 'acme/ci': ['dev', 'admin'] } },
      },
      authz: { anonymousView: false },
    });
    base = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close(); await db.close();
    await new Promise((r) => provider.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  test('mastro user add stores scrypt hashes in a 0600 users.json and list shows roles', async () => {
    const file = join(dir, 'users.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const raw = readFileSync(file, 'utf8');
    assert.match(raw, /"password": "scrypt\$32768\$8\$1\$/);
    assert.doesNotMatch(raw, /alice-password|mastro_/);
    const l = await runCli(['list', dir]);
    assert.match(l.out, /^alice\troles=admin,dev\ttokens=1$/m);
    assert.match(l.out, /^bob\troles=-\ttokens=0$/m);
    const bad = await runCli(['add', dir, 'x y', '--password-stdin'], 'long-enough\n');
    assert.equal(bad.code, 2);
    assert.match(bad.err, /not allowed/);
    const missing = await runCli(['list', join(dir, 'not-a-master')]);
    assert.equal(missing.code, 1, 'a directory that does not exist is a failure, not wrong usage');
    assert.match(missing.err, /does not exist \(create it with 'mastro create-master/);
    assert.equal((await runCli(['remove', dir, 'nobody'])).code, 1);
    assert.equal((await runCli(['list'])).code, 2, 'missing arguments are wrong usage');
  });

  test('login sets an HttpOnly SameSite session cookie and /auth/user reports the user, roles and auth methods', async () => {
    const b = new Browser(base);
    const r = await b.postJson('/auth/login', { username: 'alice', password: 'alice-password' });
    assert.equal(r.status, 200);
    const body = await r.json() as any;
    assert.deepEqual(body.user, { username: 'alice', roles: ['admin', 'dev'] });
    assert.equal(typeof body.csrfToken, 'string');
    const session = r.headers.getSetCookie().find((c) => c.startsWith('mastro_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Lax/);
    const u = await (await b.fetch('/auth/user')).json() as any;
    assert.deepEqual(u.user, { username: 'alice', roles: ['admin', 'dev'] });
    assert.equal(u.csrfToken, body.csrfToken);
    assert.deepEqual(u.authMethods, ['local', 'github', 'gitlab']);
    assert.equal((await b.fetch('/api/v2/builders')).status, 200);
  });

  test('wrong passwords and unknown users get 401 and anonymous reads are refused when anonymousView is false', async () => {
    const b = new Browser(base);
    assert.equal((await b.postJson('/auth/login', { username: 'bob', password: 'nope-nope' })).status, 401);
    assert.equal((await b.postJson('/auth/login', { username: 'nobody', password: 'nope-nope' })).status, 401);
    const u = await (await b.fetch('/auth/user')).json() as any;
    assert.equal(u.user, null);
    assert.equal(typeof u.csrfToken, 'string');
    const r = await b.fetch('/api/v2/builds');
    assert.equal(r.status, 401);
    assert.match(((await r.json()) as any).error, /log in/);
  });

  test('roles from www.auth.users are added to the users store roles', async () => {
    const r = await fetch(`${base}/auth/user`, { headers: { authorization: `Basic ${Buffer.from('bob:bob-password').toString('base64')}` } });
    assert.deepEqual(((await r.json()) as any).user, { username: 'bob', roles: ['tester'] });
  });

  test('API tokens authenticate as Bearer; revoked or made-up tokens get 401', async () => {
    const ok = await fetch(`${base}/auth/user`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(((await ok.json()) as any).user, { username: 'alice', roles: ['admin', 'dev'] });
    const bad = await fetch(`${base}/api/v2/builders`, { headers: { authorization: 'Bearer mastro_madeup' } });
    assert.equal(bad.status, 401);
    const id = (await new UsersStore(dir).load()).users.alice!.tokens[0]!.id;
    assert.equal((await runCli(['revoke-token', dir, 'alice', id])).code, 0);
    assert.equal((await fetch(`${base}/api/v2/builders`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  });

  test('POSTs with the session cookie need the CSRF header; logout ends the session', async () => {
    const b = new Browser(base);
    const login = await (await b.postJson('/auth/login', { username: 'bob', password: 'bob-password' })).json() as any;
    assert.ok(login.csrfToken, JSON.stringify(login));
    const noCsrf = await b.postJson('/auth/logout', {});
    assert.equal(noCsrf.status, 403);
    const out = await b.postJson('/auth/logout', {}, { 'x-csrf-token': login.csrfToken });
    assert.equal(out.status, 200);
    assert.equal(((await (await b.fetch('/auth/user')).json()) as any).user, null);
  });

  test('GitHub OAuth: redirect with state, callback exchanges the code, org membership maps to roles', async () => {
    const b = new Browser(base);
    const start = await b.fetch('/auth/oauth/github');
    assert.equal(start.status, 302);
    const loc = new URL(start.headers.get('location')!);
    assert.equal(loc.origin + loc.pathname, `${providerUrl}/login/oauth/authorize`);
    assert.equal(loc.searchParams.get('client_id'), 'gh-client');
    assert.equal(loc.searchParams.get('redirect_uri'), `${base}/auth/oauth/github/callback`);
    const state = loc.searchParams.get('state')!;
    // A callback with another state (planted link) is refused.
    const planted = await b.fetch(`/auth/oauth/github/callback?code=good-code&state=forged`);
    assert.equal(planted.status, 400);
    const cb = await b.fetch(`/auth/oauth/github/callback?code=good-code&state=${state}`);
    assert.equal(cb.status, 302);
    assert.equal(cb.headers.get('location'), '/');
    const u = await (await b.fetch('/auth/user')).json() as any;
    assert.deepEqual(u.user, { username: 'octocat', roles: ['dev', 'reviewer'] });
    // The state is single-use.
    assert.equal((await new Browser(base).fetch(`/auth/oauth/github/callback?code=good-code&state=${state}`)).status, 400);
    assert.ok(providerCalls.includes('GET /api/user/orgs'));
  });

  test('GitLab OAuth logs in with group roles; a bad code is a 502 naming the provider', async () => {
    const b = new Browser(base);
    const state = new URL((await b.fetch('/auth/oauth/gitlab')).headers.get('location')!).searchParams.get('state')!;
    const r = await b.fetch(`/auth/oauth/gitlab/callback?code=good-code&state=${state}`);
    assert.equal(r.status, 302);
    assert.deepEqual(((await (await b.fetch('/auth/user')).json()) as any).user, { username: 'tanuki', roles: ['dev', 'admin'] });
    const b2 = new Browser(base);
    const s2 = new URL((await b2.fetch('/auth/oauth/gitlab')).headers.get('location')!).searchParams.get('state')!;
    const bad = await b2.fetch(`/auth/oauth/gitlab/callback?code=bad&state=${s2}`);
    assert.equal(bad.status, 502);
    assert.match(((await bad.json()) as any).error, /gitlab/);
    assert.equal((await b.fetch('/auth/oauth/bitbucket')).status, 404);
  });
  test('failed logins are rate-limited per user name across addresses and per address across users (429, Retry-After)', async () => {
    // Each attempt comes from its own loopback address, so only the per-user limit can trip.
    const fromAddress = (addr: string, username: string, password: string) => new Promise<{ status: number; retryAfter: string | undefined }>((resolve, reject) => {
      const req = httpRequest(`${base}/auth/login`, { method: 'POST', localAddress: addr, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined }));
      });
      req.on('error', reject);
      req.end(JSON.stringify({ username, password }));
    });
    for (let i = 0; i < 3; i++) assert.equal((await fromAddress(`127.0.1.${i + 1}`, 'carol', `wrong-${i}`)).status, 401);
    const limited = await fromAddress('127.0.1.9', 'carol', 'again');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.retryAfter) > 0);
    // One address guessing at many users: the address runs out of tries too, even for a correct password.
    for (let i = 0; i < 3; i++) assert.equal((await fromAddress('127.0.2.1', `user${i}`, 'wrong-password')).status, 401);
    assert.equal((await fromAddress('127.0.2.1', 'alice', 'alice-password')).status, 429);
    assert.equal((await fromAddress('127.0.2.2', 'alice', 'alice-password')).status, 200);
  });
});
