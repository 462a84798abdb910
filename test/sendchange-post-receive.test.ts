/**
 * contrib/post-receive installed in a real bare repository: pushes become one POST per new commit
 * to a real HTTP server standing in for the master's /change_hook/base.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOOK = new URL('../contrib/post-receive', import.meta.url).pathname;
const ENV = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Cy', GIT_COMMITTER_EMAIL: 'cy@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
// Pushes run asynchronously: the hook posts to the server in this process, which must keep serving.
const push = (cwd: string, ...args: string[]) => promisify(execFile)('git', ['push', '--quiet', ...args], { cwd, env: ENV });
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

test('pushes to a repository with contrib/post-receive send one Change per new commit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-post-receive-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const posts: Array<{ auth?: string; form: Record<string, string> }> = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    assert.equal(req.url, '/change_hook/base');
    posts.push({ auth: req.headers.authorization, form: Object.fromEntries(new URLSearchParams(body)) });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"message":"ok","changes":[1]}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));

  const bare = join(dir, 'proj.git');
  git(dir, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  copyFileSync(HOOK, join(bare, 'hooks', 'post-receive'));
  chmodSync(join(bare, 'hooks', 'post-receive'), 0o755);
  git(bare, 'config', 'hooks.mastro.master', `127.0.0.1:${(server.address() as AddressInfo).port}`);
  git(bare, 'config', 'hooks.mastro.auth', 'hook:pw');
  git(bare, 'config', 'hooks.mastro.project', 'proj');
  const work = join(dir, 'work');
  git(dir, 'clone', '--quiet', bare, work);
  git(work, 'checkout', '--quiet', '-b', 'main');
  const commit = (file: string, msg: string) => { writeFileSync(join(work, file), `${msg}\n`); git(work, 'add', file); git(work, 'commit', '--quiet', '-m', msg); return git(work, 'rev-parse', 'HEAD'); };

  const c1 = commit('a.txt', 'first');
  const c2 = commit('b.txt', 'second\n\nwith a body');
  await push(work, 'origin', 'main');
  assert.deepEqual(posts.map((p) => p.form.revision), [c1, c2], 'a new repository reports each pushed commit, oldest first');
  assert.deepEqual(posts[1]!.form, {
    author: 'Ada <ada@example.org>', committer: 'Cy <cy@example.org>', when_timestamp: git(work, 'log', '-1', '--format=%ct'),
    comments: 'second\n\nwith a body', revision: c2, files: '["b.txt"]', branch: 'main', properties: '{}',
    repository: bare, project: 'proj', vc: 'git',
  });
  assert.equal(posts[0]!.auth, `Basic ${Buffer.from('hook:pw').toString('base64')}`);

  git(work, 'checkout', '--quiet', '-b', 'feature');
  const f1 = commit('f.txt', 'feature work');
  await push(work, 'origin', 'feature');
  assert.deepEqual(posts.slice(2).map((p) => [p.form.revision, p.form.branch]), [[f1, 'feature']], 'a new branch reports only its own commits');

  await push(work, 'origin', ':feature');
  git(work, 'tag', 'v1');
  await push(work, 'origin', 'v1');
  assert.equal(posts.length, 3, 'deletions and tags (by default) send nothing');
});
