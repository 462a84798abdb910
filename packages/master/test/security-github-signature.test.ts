/**
 * GitHub webhook signatures: `X-Hub-Signature-256` when present, and the SHA-1 `X-Hub-Signature`
 * alone (all Buildbot 3.7's github hook checks, so senders written for it keep working). A valid
 * SHA-1 never excuses a wrong SHA-256 next to it (no downgrade).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createGithubHook } from '../src/www/hooks/github.js';
import { hubSignature256 } from '../src/www/hooks/signature.js';
import { fixture, startHookServer } from './support/hooks-server.js';

const SECRET = 'sha1 is what Buildbot 3.7 checks';
const sha1 = (secret: string, body: string) => `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;

test('a push signed only with X-Hub-Signature (sha1), as Buildbot 3.7 expects, is accepted', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const body = fixture('github-push.json');
  const res = await srv.post('github', body, { 'x-github-event': 'push', 'x-github-delivery': 's1', 'x-hub-signature': sha1(SECRET, body) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual(res.body.changes, [1, 2]);
});

test('a wrong or malformed sha1 signature gets 403 and records nothing', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const body = fixture('github-push.json');
  const wrong = await srv.post('github', body, { 'x-github-event': 'push', 'x-github-delivery': 's2', 'x-hub-signature': sha1('another secret', body) });
  assert.equal(wrong.status, 403);
  assert.match(wrong.body.message, /X-Hub-Signature does not match/);
  const malformed = await srv.post('github', body, { 'x-github-event': 'push', 'x-github-delivery': 's3', 'x-hub-signature': 'md5=abc' });
  assert.equal(malformed.status, 403);
  assert.equal(srv.changes.length, 0);
});

test('a right sha1 does not excuse a wrong sha256 sent next to it', async (t) => {
  const srv = await startHookServer(t, [createGithubHook({ secret: SECRET })]);
  const body = fixture('github-push.json');
  const res = await srv.post('github', body, {
    'x-github-event': 'push', 'x-github-delivery': 's4', 'x-hub-signature': sha1(SECRET, body), 'x-hub-signature-256': hubSignature256('another secret', body),
  });
  assert.equal(res.status, 403);
  assert.equal(srv.changes.length, 0);
});
