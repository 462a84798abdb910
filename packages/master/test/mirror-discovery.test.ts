/**
 * Forge discovery against a local HTTP stand-in that answers with the page shapes GitHub, GitLab and
 * Gitea document (trimmed to the fields that matter, plus a few that do not), paginated with Link
 * headers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forgeRepositories, globRepositories, nextLink } from '../src/changes/mirror/index.js';
import { tempDir } from './support/mirror-git.js';

type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;

async function standIn(t: { after: (f: () => Promise<void> | void) => void }, handler: Handler): Promise<{ base: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => { requests.push(req); handler(req, res, base); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { base, requests };
}

function githubRepo(owner: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    id: Math.floor(Math.random() * 1e6), node_id: 'R_kgDO', name, full_name: `${owner}/${name}`, private: false,
    owner: { login: owner, id: 1, type: 'Organization' },
    html_url: `https://github.com/${owner}/${name}`, description: null, fork: false,
    url: `https://api.github.com/repos/${owner}/${name}`,
    git_url: `git://github.com/${owner}/${name}.git`, ssh_url: `git@github.com:${owner}/${name}.git`,
    clone_url: `https://github.com/${owner}/${name}.git`, default_branch: 'main', archived: false, disabled: false,
    pushed_at: '2024-01-26T19:14:43Z', ...extra,
  };
}

test('GitHub organisation repositories are listed across Link-header pages, archived ones left out', async (t) => {
  const pages = [
    [githubRepo('acme', 'lib'), githubRepo('acme', 'old', { archived: true })],
    [githubRepo('acme', 'bindings'), githubRepo('acme', 'fork', { fork: true })],
    [githubRepo('acme', 'docs')],
  ];
  const { base, requests } = await standIn(t, (req, res, b) => {
    const url = new URL(req.url!, b);
    assert.equal(url.pathname, '/orgs/acme/repos');
    const page = Number(url.searchParams.get('page') ?? '1');
    const links = [];
    if (page < pages.length) links.push(`<${b}/orgs/acme/repos?per_page=100&type=all&page=${page + 1}>; rel="next"`, `<${b}/orgs/acme/repos?per_page=100&type=all&page=${pages.length}>; rel="last"`);
    if (page > 1) links.push(`<${b}/orgs/acme/repos?per_page=100&type=all&page=1>; rel="first"`);
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', ...(links.length ? { link: links.join(', ') } : {}) });
    res.end(JSON.stringify(pages[page - 1]));
  });
  const repos = await forgeRepositories({ type: 'github', owner: 'acme', apiUrl: base, token: 'ghp_secret_token_value', includeForks: false });
  assert.deepEqual(repos.map((r) => [r.name, r.url]), [
    ['acme/lib', 'https://github.com/acme/lib.git'],
    ['acme/bindings', 'https://github.com/acme/bindings.git'],
    ['acme/docs', 'https://github.com/acme/docs.git'],
  ]);
  assert.equal(requests.length, 3);
  assert.equal(requests[0]!.headers.authorization, 'Bearer ghp_secret_token_value');
  assert.equal(repos[0]!.revlink, 'https://github.com/acme/lib/commit/{rev}');
  const header = Object.values(repos[0]!.gitConfig!)[0]!;
  assert.equal(header, `Authorization: Basic ${Buffer.from('x-access-token:ghp_secret_token_value').toString('base64')}`);
  assert.deepEqual(Object.keys(repos[0]!.gitConfig!), ['http.https://github.com/.extraHeader'], 'the token is sent to the forge host only');
});

test('GitLab group projects (subgroups included) are listed with ssh URLs when asked', async (t) => {
  const project = (id: number, path: string, extra: Record<string, unknown> = {}) => ({
    id, name: path.split('/').pop(), path: path.split('/').pop(), path_with_namespace: path, default_branch: 'main',
    ssh_url_to_repo: `git@gitlab.example.org:${path}.git`, http_url_to_repo: `https://gitlab.example.org/${path}.git`,
    web_url: `https://gitlab.example.org/${path}`, archived: false, namespace: { id: 7, full_path: 'grp/sub' }, ...extra,
  });
  const { base, requests } = await standIn(t, (req, res, b) => {
    const url = new URL(req.url!, b);
    assert.equal(url.pathname, '/api/v4/groups/grp%2Fsub/projects');
    const page = Number(url.searchParams.get('page') ?? '1');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-page': String(page), 'x-total-pages': '2' };
    if (page === 1) headers.link = `<${b}/api/v4/groups/grp%2Fsub/projects?page=2&per_page=100>; rel="next", <${b}/api/v4/groups/grp%2Fsub/projects?page=2&per_page=100>; rel="last"`;
    res.writeHead(200, headers);
    res.end(JSON.stringify(page === 1 ? [project(1, 'grp/sub/core'), project(2, 'grp/sub/archived', { archived: true })] : [project(3, 'grp/sub/deep/tool', { forked_from_project: { id: 9 } })]));
  });
  const repos = await forgeRepositories({ type: 'gitlab', owner: 'grp/sub', apiUrl: base, token: 'glpat-x', cloneProtocol: 'ssh' });
  assert.deepEqual(repos.map((r) => [r.name, r.url, r.revlink]), [
    ['grp/sub/core', 'git@gitlab.example.org:grp/sub/core.git', 'https://gitlab.example.org/grp/sub/core/-/commit/{rev}'],
    ['grp/sub/deep/tool', 'git@gitlab.example.org:grp/sub/deep/tool.git', 'https://gitlab.example.org/grp/sub/deep/tool/-/commit/{rev}'],
  ]);
  assert.equal(requests[0]!.headers['private-token'], 'glpat-x');
  assert.equal(repos[0]!.gitConfig, undefined, 'no http header for ssh clones');
});

test('Gitea organisation repositories are paged by full pages when no Link header is sent', async (t) => {
  const repo = (i: number) => ({ id: i, name: `r${i}`, full_name: `org/r${i}`, clone_url: `https://gitea.example.org/org/r${i}.git`, ssh_url: `git@gitea.example.org:org/r${i}.git`, html_url: `https://gitea.example.org/org/r${i}`, archived: false, fork: false, empty: false });
  const all = Array.from({ length: 73 }, (_, i) => repo(i));
  const { base, requests } = await standIn(t, (req, res, b) => {
    const url = new URL(req.url!, b);
    assert.equal(url.pathname, '/api/v1/orgs/org/repos');
    const page = Number(url.searchParams.get('page'));
    const limit = Number(url.searchParams.get('limit'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(all.slice((page - 1) * limit, page * limit)));
  });
  const repos = await forgeRepositories({ type: 'gitea', owner: 'org', apiUrl: base, token: 't0k3n', filter: /r[0-9]$/ });
  assert.deepEqual(repos.map((r) => r.name), Array.from({ length: 10 }, (_, i) => `org/r${i}`));
  assert.equal(requests.length, 2);
  assert.equal(requests[0]!.headers.authorization, 'token t0k3n');
});

test('a forge error names the status and what to check, without the token', async (t) => {
  const { base } = await standIn(t, (_req, res) => { res.writeHead(401, { 'content-type': 'application/json' }); res.end('{"message":"Bad credentials"}'); });
  await assert.rejects(forgeRepositories({ type: 'github', owner: 'acme', apiUrl: base, token: 'nope' }), (err: Error) => {
    assert.match(err.message, /answered 401.*Bad credentials.*check forge\.token/);
    return true;
  });
});

test('Link headers are parsed for rel="next" among other relations', () => {
  assert.equal(nextLink('<https://x/a?page=1>; rel="prev", <https://x/a?page=3>; rel="next"'), 'https://x/a?page=3');
  assert.equal(nextLink('<https://x/a?page=3>; rel="last"'), null);
  assert.equal(nextLink(null), null);
});

test('a glob lists only bare repositories matching the last path segment', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-glob-');
  t.after(cleanup);
  for (const n of ['b.git', 'a.git', 'notes.txt.git', 'c.other']) {
    mkdirSync(join(dir, n), { recursive: true });
    if (n !== 'notes.txt.git') writeFileSync(join(dir, n, 'HEAD'), 'ref: refs/heads/main\n');
  }
  const repos = await globRepositories('*.git', dir);
  assert.deepEqual(repos.map((r) => r.name), ['a', 'b']);
  await assert.rejects(globRepositories(join(dir, '*', 'x.git'), dir), /last path segment/);
});
