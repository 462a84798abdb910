import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGithubHook } from '../src/www/hooks/github.js';
import { hubSignature256 } from '../src/www/hooks/signature.js';
import { fixture, startHookServer } from './support/hooks-server.js';

const SECRET = 'It\'s a Secret to Everybody';
const signed = (body: string, event: string, delivery: string, secret = SECRET) => ({
  'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': hubSignature256(secret, body),
});

test('a signed push becomes one Change per commit with Buildbot\'s fields', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const body = fixture('github-push.json');
  const res = await srv.post('github', body, signed(body, 'push', '72d3162e-cc78-11e3-81ab-4c9367dc0958'));
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.changes, [1, 2]);
  const [a, b] = srv.changes;
  assert.deepEqual(a, {
    author: 'Codertocat <21031067+Codertocat@users.noreply.github.com>', committer: 'GitHub <noreply@github.com>',
    files: ['README.md'], comments: 'Update README.md', revision: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    when_timestamp: Date.parse('2019-05-15T15:20:30-04:00') / 1000, branch: 'main',
    revlink: 'https://github.com/Codertocat/Hello-World/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    repository: 'https://github.com/Codertocat/Hello-World', project: 'Codertocat/Hello-World', category: null,
    properties: { github_distinct: true, event: 'push' }, src: 'git',
  });
  assert.deepEqual(b!.files, ['docs/index.md', 'old.txt']);
  assert.equal(b!.properties!.github_distinct, false);
  assert.equal(b!.comments, 'Add docs\n\nLonger body');
});

test('a bad signature gets 403 and records nothing', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const body = fixture('github-push.json');
  const res = await srv.post('github', body, signed(body, 'push', 'd1', 'the wrong secret'));
  assert.equal(res.status, 403);
  assert.match(res.body.message, /does not match/);
  const tampered = await srv.post('github', body.replace('Update README.md', 'Update README.md!'), signed(body, 'push', 'd2'));
  assert.equal(tampered.status, 403, 'a body changed after signing is refused');
  const malformed = await srv.post('github', body, { 'x-github-event': 'push', 'x-hub-signature-256': 'sha1=abc' });
  assert.equal(malformed.status, 403);
  assert.equal(srv.changes.length, 0);
});

test('a missing signature gets 403 when a secret is configured', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const res = await srv.post('github', fixture('github-push.json'), { 'x-github-event': 'push', 'x-github-delivery': 'd3' });
  assert.equal(res.status, 403);
  assert.match(res.body.message, /no X-Hub-Signature-256/);
  assert.equal(srv.changes.length, 0);
});

test('a replayed delivery id is answered 200 and records nothing more', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const body = fixture('github-push.json');
  const headers = signed(body, 'push', 'same-delivery');
  assert.equal((await srv.post('github', body, headers)).status, 200);
  const again = await srv.post('github', body, headers);
  assert.equal(again.status, 200);
  assert.match(again.body.message, /already received; ignored/);
  assert.equal(srv.changes.length, 2);
});

test('a body over the limit gets 413 and records nothing', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ bodyLimit: 4096 })]);
  const payload = JSON.parse(fixture('github-push.json'));
  payload.head_commit.message = 'x'.repeat(10000);
  const res = await srv.post('github', JSON.stringify(payload), { 'x-github-event': 'push' });
  assert.equal(res.status, 413);
  assert.match(res.body.message, /bodyLimit of 4096/);
  assert.equal(srv.changes.length, 0);
});

test('pull requests opened become a pull Change on the merge ref; closed ones are ignored', async (t) => {
  const srv = await startHookServer(t, [createGithubHook()]);
  const opened = await srv.post('github', fixture('github-pull-request-opened.json'), { 'x-github-event': 'pull_request', 'x-github-delivery': 'pr1' });
  assert.equal(opened.status, 200);
  const c = srv.changes[0]!;
  assert.equal(c.branch, 'refs/pull/2/merge');
  assert.equal(c.category, 'pull');
  assert.equal(c.revision, 'ec26c3e57ca3a959ca5aad62de7213c562f8c821');
  assert.equal(c.author, 'Codertocat');
  assert.equal(c.project, 'Codertocat/Hello-World');
  assert.equal(c.revlink, 'https://github.com/Codertocat/Hello-World/pull/2');
  assert.equal(c.comments, 'GitHub Pull Request #2 (1 commit)\nUpdate the README with new information.\nThis is a pretty simple change that we need to pull into master.');
  assert.deepEqual(c.properties, { pullrequesturl: 'https://github.com/Codertocat/Hello-World/pull/2', event: 'pull_request', basename: 'master' });
  const closed = await srv.post('github', fixture('github-pull-request-closed.json'), { 'x-github-event': 'pull_request', 'x-github-delivery': 'pr2' });
  assert.equal(closed.status, 200);
  assert.match(closed.body.message, /closed; ignored/);
  assert.equal(srv.changes.length, 1);
});

test('ping, unhandled events, deletions and new branches follow GitHub and Buildbot', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ propertyWhitelist: ['github.repository.default_branch'] })]);
  const ping = await srv.post('github', fixture('github-ping.json'), { 'x-github-event': 'ping' });
  assert.deepEqual([ping.status, ping.body.message], [200, 'pong (hook 30)']);
  const issue = await srv.post('github', '{}', { 'x-github-event': 'issues' });
  assert.deepEqual([issue.status, issue.body.message], [200, 'event issues is not handled; ignored']);
  const del = await srv.post('github', fixture('github-push-delete.json'), { 'x-github-event': 'push' });
  assert.equal(del.status, 200);
  assert.equal(srv.changes.length, 0);
  await srv.post('github', fixture('github-push-new-branch.json'), { 'x-github-event': 'push' });
  assert.equal(srv.changes.length, 1, 'a new branch yields its head commit only');
  assert.equal(srv.changes[0]!.branch, 'feature/x');
  assert.equal(srv.changes[0]!.properties!['github.repository.default_branch'], 'master');
  await srv.post('github', fixture('github-push-tag.json'), { 'x-github-event': 'push' });
  assert.equal(srv.changes[1]!.category, 'tag');
  assert.equal(srv.changes[1]!.branch, 'v1.0');
  const noEvent = await srv.post('github', '{}', {});
  assert.equal(noEvent.status, 400);
  const badJson = await srv.post('github', '{not json', { 'x-github-event': 'push' });
  assert.equal(badJson.status, 400);
});

test('property globs are fnmatch patterns that match 4 KiB payload keys without backtracking', async (t) => {
  const longKey = `x${'-'.repeat(4096)}`;
  const srv = await startHookServer(t, [createGithubHook({
    // As RegExps the first took minutes on the long key: anyone who can post to the hook chooses the keys.
    propertyWhitelist: ['github.repository.*-*-*-*-*-*-*-*-y', 'github.repository.[!d]*-*-*-*-*-*-*-*', 'github.repository.[d]efault_branc?'],
  })]);
  const payload = JSON.parse(fixture('github-push-new-branch.json'));
  payload.repository[longKey] = 'long';
  const res = await srv.post('github', JSON.stringify(payload), { 'x-github-event': 'push' });
  assert.equal(res.status, 200);
  const props = srv.changes[0]!.properties!;
  assert.equal(props[`github.repository.${longKey}`], 'long');
  assert.equal(props['github.repository.default_branch'], 'master');
  assert.deepEqual(Object.keys(props).filter((k) => k.startsWith('github.')).sort(), ['github.repository.default_branch', `github.repository.${longKey}`]);
});

test('form-encoded payloads are accepted and their signature covers the encoded body', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const body = new URLSearchParams({ payload: fixture('github-push.json') }).toString();
  const res = await srv.post('github', body, { ...signed(body, 'push', 'form1'), 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(res.status, 200);
  assert.equal(srv.changes.length, 2);
});

test('commit messages with [skip ci] skip the push', async (t) => {
  const srv = await startHookServer(t, [createGithubHook()]);
  const payload = JSON.parse(fixture('github-push.json'));
  payload.head_commit.message = 'docs only [skip ci]';
  const res = await srv.post('github', JSON.stringify(payload), { 'x-github-event': 'push' });
  assert.equal(res.status, 200);
  assert.match(res.body.message, /skip CI/);
  assert.equal(srv.changes.length, 0);
});
