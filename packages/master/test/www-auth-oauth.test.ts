/**
 * OAuthProvider against a local stand-in for GitHub's and GitLab's APIs over real HTTP: the
 * organisations (GitHub) and groups (GitLab) of a user are read across every page, bounded by
 * `maxGroupPages`, and the token never follows a next-page link to another host.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuthProvider, type ProviderName } from '../src/www/auth/oauth.js';
import type { OAuthProviderOptions } from '../src/config/types.js';

interface StandIn { url: string; calls: string[] }

/**
 * The token and user endpoints of both forges, and `pages` pages of memberships, one per page:
 * GitHub links the next page with `Link: rel="next"`, GitLab with `X-Next-Page` only (as it does
 * when it leaves out Link). `nextUrl` overrides where page 1 points.
 */
async function startStandIn(t: { after(fn: () => unknown): void }, pages: number, nextUrl?: string): Promise<StandIn> {
  const calls: string[] = [];
  const send = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    calls.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const u = new URL(req.url!, base);
      if (u.pathname === '/login/oauth/access_token' || u.pathname === '/oauth/token') return send(res, { access_token: 'tok', token_type: 'bearer' });
      if (req.headers.authorization !== 'Bearer tok') { res.writeHead(401).end('{}'); return; }
      const page = Number(u.searchParams.get('page') ?? '1');
      const more = page < pages;
      if (u.pathname === '/api/user') return send(res, { login: 'octocat' });
      if (u.pathname === '/api/v4/user') return send(res, { username: 'tanuki' });
      if (u.pathname === '/api/user/orgs') {
        const next = new URL(u); next.searchParams.set('page', String(page + 1));
        return send(res, [{ login: `org-${page}` }], more ? { link: `<${page === 1 && nextUrl ? nextUrl : next}>; rel="next", <${base}/api/user/orgs?page=${pages}>; rel="last"` } : {});
      }
      if (u.pathname === '/api/v4/groups') return send(res, [{ full_path: `team/g${page}` }], { 'x-page': String(page), 'x-next-page': more ? String(page + 1) : '' });
      res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => new Promise((r) => server.close(r)));
  return { url: base, calls };
}

function provider(name: ProviderName, s: StandIn, extra: Partial<OAuthProviderOptions> = {}): OAuthProvider {
  return new OAuthProvider(name, {
    clientId: 'id', clientSecret: 'secret', baseUrl: s.url, ...(name === 'github' ? { apiUrl: `${s.url}/api` } : {}), ...extra,
  }, 5000);
}

async function login(p: OAuthProvider) {
  const { state } = p.begin('http://ci.example/auth/oauth/cb');
  return p.complete({ code: 'c', state }, state, 'http://ci.example/auth/oauth/cb');
}

test('GitHub organisations are read from every page the Link header points to', async (t) => {
  const s = await startStandIn(t, 3);
  const p = provider('github', s, { groupRoles: { 'org-3': ['admin'] } });
  const user = await login(p);
  assert.deepEqual(user.groups, ['org-1', 'org-2', 'org-3']);
  assert.deepEqual(p.rolesFor(user), ['admin'], 'a role given for an organisation on the last page applies');
  assert.equal(s.calls.filter((c) => c.startsWith('GET /api/user/orgs')).length, 3);
});

test('GitLab groups are read from every page X-Next-Page names', async (t) => {
  const s = await startStandIn(t, 3);
  const p = provider('gitlab', s, { groupRoles: { 'team/g3': ['dev'] } });
  const user = await login(p);
  assert.deepEqual(user.groups, ['team/g1', 'team/g2', 'team/g3']);
  assert.deepEqual(p.rolesFor(user), ['dev']);
});

test('more pages than maxGroupPages refuse the login with a message naming the option', async (t) => {
  const s = await startStandIn(t, 3);
  await assert.rejects(login(provider('github', s, { maxGroupPages: 2 })), (err: Error & { status?: number }) => {
    assert.equal(err.status, 502);
    assert.match(err.message, /github lists more than 2 pages of organisations for octocat; raise www\.auth\.github\.maxGroupPages/);
    return true;
  });
  await assert.rejects(login(provider('gitlab', s, { maxGroupPages: 1 })), /gitlab lists more than 1 page of groups for tanuki; raise www\.auth\.gitlab\.maxGroupPages/);
});

test('a next-page link to another host is refused and gets no token', async (t) => {
  const elsewhere = await startStandIn(t, 1);
  const s = await startStandIn(t, 3, `${elsewhere.url}/api/user/orgs?page=2`);
  await assert.rejects(login(provider('github', s)), /next page of organisations on another host \(http:\/\/127\.0\.0\.1:\d+\); refusing to send the token there/);
  assert.deepEqual(elsewhere.calls, []);
});
