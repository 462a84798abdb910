import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGerritHook } from '../src/www/hooks/gerrit.js';
import { fixture, startHookServer } from './support/hooks-server.js';

test('patchset-created becomes a Change on the review ref with event properties', async (t) => {
  const srv = await startHookServer(t, [createGerritHook({ gitBaseURL: 'https://review.example.org' })]);
  const res = await srv.post('gerrit', fixture('gerrit-patchset-created.json'));
  assert.equal(res.status, 200);
  const c = srv.changes[0]!;
  assert.equal(c.author, 'Jane Roe <jane@example.org>');
  assert.equal(c.branch, 'refs/changes/42/4242/3');
  assert.equal(c.revision, '3f1f2a0c9d2b44e5d6a7b8c9d0e1f2a3b4c5d6e7');
  assert.equal(c.repository, 'https://review.example.org/demo/app');
  assert.equal(c.project, 'demo/app');
  assert.equal(c.category, 'patchset-created');
  assert.equal(c.comments, 'Fix the frobnicator');
  assert.equal(c.revlink, 'https://review.example.org/c/demo/app/+/4242');
  assert.equal(c.properties!['event.change.number'], 4242);
  assert.equal(c.properties!['event.patchSet.ref'], 'refs/changes/42/4242/3');
  assert.equal(c.properties!.target_branch, 'main');
  assert.equal(c.properties!['event.eventCreatedOn'], undefined);
  assert.equal(c.properties!['event.source'], 'GerritWebhook');
});

test('change-merged and ref-updated become Changes on the target branch', async (t) => {
  const srv = await startHookServer(t, [createGerritHook()]);
  await srv.post('gerrit', fixture('gerrit-change-merged.json'));
  await srv.post('gerrit', fixture('gerrit-ref-updated.json'));
  assert.deepEqual(srv.changes.map((c) => [c.category, c.branch, c.revision, c.repository]), [
    ['change-merged', 'main', '3f1f2a0c9d2b44e5d6a7b8c9d0e1f2a3b4c5d6e7', 'https://review.example.org/demo/app'],
    ['ref-updated', 'main', 'c0ffee0c9d2b44e5d6a7b8c9d0e1f2a3b4c5d6e7', 'demo/app'],
  ]);
  assert.equal(srv.changes[1]!.author, 'Jane Roe <jane@example.org>');
  assert.equal(srv.changes[1]!.comments, 'Gerrit: commit(s) pushed.');
});

test('unhandled events are ignored, replays record nothing, a wrong token gets 403', async (t) => {
  const srv = await startHookServer(t, [createGerritHook({ secret: 's3cret-token' })]);
  const comment = await srv.post('gerrit', fixture('gerrit-comment-added.json'), { authorization: 'Bearer s3cret-token' });
  assert.deepEqual([comment.status, comment.body.message], [200, 'event type comment-added is not handled; ignored']);
  const ok = await srv.post('gerrit', fixture('gerrit-ref-updated.json'), {}, '?token=s3cret-token');
  assert.equal(ok.status, 200);
  const replay = await srv.post('gerrit', fixture('gerrit-ref-updated.json'), {}, '?token=s3cret-token');
  assert.match(replay.body.message, /already received/);
  const wrong = await srv.post('gerrit', fixture('gerrit-ref-updated.json'), {}, '?token=nope');
  assert.equal(wrong.status, 403);
  const missing = await srv.post('gerrit', fixture('gerrit-patchset-created.json'));
  assert.equal(missing.status, 403);
  const notEvent = await srv.post('gerrit', '{"hello":1}', { authorization: 'Bearer s3cret-token' });
  assert.equal(notEvent.status, 400);
  assert.equal(srv.changes.length, 1);
});
