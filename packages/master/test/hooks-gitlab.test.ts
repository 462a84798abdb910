import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGitlabHook } from '../src/www/hooks/gitlab.js';
import { fixture, startHookServer } from './support/hooks-server.js';

const TOKEN = 'gl-webhook-token';

test('a push with the right token becomes one Change per commit, category push', async (t) => {
  const srv = await startHookServer(t, [createGitlabHook({ secret: TOKEN })]);
  const res = await srv.post('gitlab', fixture('gitlab-push.json'), { 'x-gitlab-token': TOKEN, 'x-gitlab-event': 'Push Hook', 'x-gitlab-event-uuid': 'u1' }, '?codebase=app');
  assert.equal(res.status, 200);
  assert.equal(srv.changes.length, 2);
  assert.deepEqual(srv.changes[0], {
    author: 'Jordi Mallach <jordi@softcatala.org>', files: ['CHANGELOG', 'app/controller/application.rb'],
    comments: 'Update Catalan translation to e38cb41.\n\nSee https://gitlab.com/gitlab-org/gitlab for more information',
    revision: 'b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327', when_timestamp: Date.parse('2011-12-12T14:27:31+02:00') / 1000,
    branch: 'master', revlink: 'http://example.com/mike/diaspora/commit/b6568db1bc1dcd7f8b4d5a946b0b91f9dacd7327',
    repository: 'git@example.com:mike/diaspora.git', project: 'Diaspora', category: 'push', properties: { event: 'push' },
    src: 'git', codebase: 'app',
  });
});

test('a wrong or missing token gets 403 and records nothing', async (t) => {
  const srv = await startHookServer(t, [createGitlabHook({ secret: TOKEN })]);
  const wrong = await srv.post('gitlab', fixture('gitlab-push.json'), { 'x-gitlab-token': 'guess' });
  assert.equal(wrong.status, 403);
  const missing = await srv.post('gitlab', fixture('gitlab-push.json'), {});
  assert.equal(missing.status, 403);
  assert.match(missing.body.message, /no X-Gitlab-Token/);
  assert.equal(srv.changes.length, 0);
});

test('tag pushes carry category tag_push and the tag name as branch', async (t) => {
  const srv = await startHookServer(t, [createGitlabHook()]);
  await srv.post('gitlab', fixture('gitlab-tag-push.json'), { 'x-gitlab-event': 'Tag Push Hook' });
  assert.equal(srv.changes.length, 1);
  assert.equal(srv.changes[0]!.category, 'tag_push');
  assert.equal(srv.changes[0]!.branch, 'v1.0.0');
});

test('an opened merge request becomes a Change on the target branch; updates without code are ignored', async (t) => {
  const srv = await startHookServer(t, [createGitlabHook()]);
  const res = await srv.post('gitlab', fixture('gitlab-merge-request-open.json'), { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-event-uuid': 'mr-1' });
  assert.equal(res.status, 200);
  const c = srv.changes[0]!;
  assert.equal(c.branch, 'master');
  assert.equal(c.category, 'merge_request');
  assert.equal(c.comments, 'MR#1: MS-Viewport\n\n');
  assert.equal(c.revision, 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7');
  assert.equal(c.properties!.source_branch, 'ms-viewport');
  assert.equal(c.properties!.target_repository, 'http://example.com/awesome_space/awesome_project.git');
  const update = await srv.post('gitlab', fixture('gitlab-merge-request-update-no-code.json'), { 'x-gitlab-event-uuid': 'mr-2' });
  assert.equal(update.status, 200);
  assert.match(update.body.message, /adds no code; ignored/);
  assert.equal(srv.changes.length, 1);
});

test('a replayed X-Gitlab-Event-UUID records nothing', async (t) => {
  const srv = await startHookServer(t, [createGitlabHook({ secret: TOKEN })]);
  const h = { 'x-gitlab-token': TOKEN, 'x-gitlab-event-uuid': 'dup' };
  await srv.post('gitlab', fixture('gitlab-push.json'), h);
  const again = await srv.post('gitlab', fixture('gitlab-push.json'), h);
  assert.equal(again.status, 200);
  assert.match(again.body.message, /already received/);
  assert.equal(srv.changes.length, 2);
});

test('an oversized body gets 413', async (t) => {
  const srv = await startHookServer(t, [createGitlabHook({ bodyLimit: 1000 })]);
  const res = await srv.post('gitlab', fixture('gitlab-push.json'), {});
  assert.equal(res.status, 413);
  assert.equal(srv.changes.length, 0);
});
