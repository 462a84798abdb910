/**
 * Debian's `buildbot sendchange` 3.7 against a PB server with the change perspective (our broker,
 * cred and the master's own LoginRateLimiter): every field it sends arrives, read the way Buildbot's
 * PBChangeSource reads it; a wrong password is refused and rate-limited; a dict Buildbot would
 * refuse gets an error that names the problem.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { pb } from 'mastro-protocol';
import type { AddChangeInput } from '../src/data/updates-api.js';
import { changeFromPb, changePerspective } from '../src/changes/pb/change-perspective.js';
import { LoginRateLimiter } from '../src/workers/login-rate-limiter.js';
import { sendchange } from '../../../test/support/buildbot-sendchange.js';

async function changeServer(limiter: LoginRateLimiter, prefix: string | null = null) {
  const changes: AddChangeInput[] = [];
  const server = createServer((socket) => {
    const broker = new pb.Broker(socket, { role: 'server' });
    broker.setNamedObject('root', pb.portalRoot({
      passwordDigest: (user) => (user === 'change' ? pb.md5Digest('changepw') : null),
      perspective: () => changePerspective({ prefix, addChange: async (c) => { changes.push(c); } }),
      limiter,
    }, socket.remoteAddress ?? 'unknown'));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, changes, close: () => new Promise<void>((r) => server.close(() => r())) };
}

test('buildbot sendchange delivers every field, as Buildbot\'s PBChangeSource reads them', async () => {
  const srv = await changeServer(new LoginRateLimiter());
  try {
    const r = await sendchange(['--master', `127.0.0.1:${srv.port}`, '--auth', 'change:changepw', '--who', 'a', '--branch', 'main', '--revision', 'r1',
      '--category', 'cat', '--comments', 'fix: ünïcode ✓', '--repository', 'file:///srv/repo.git', '--project', 'proj', '--revlink', 'http://x/r1',
      '--property', 'color:blue', '--when', '1700000000.75', '--codebase', 'cb', '--vc', 'git', 'f1', 'dir/f2']);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /change sent successfully/);
    assert.deepEqual(srv.changes, [{
      author: 'a', committer: null, files: ['f1', 'dir/f2'], comments: 'fix: ünïcode ✓', revision: 'r1', branch: 'main', category: 'cat',
      revlink: 'http://x/r1', properties: { color: 'blue' }, repository: 'file:///srv/repo.git', project: 'proj', src: 'git',
      when_timestamp: 1700000000, codebase: 'cb',
    }]);
    // The minimal form from the issue: defaults as Buildbot fills them.
    const minimal = await sendchange(['--master', `127.0.0.1:${srv.port}`, '--auth', 'change:changepw', '--who', 'a', '--branch', 'main', '--revision', 'r1', 'f1', 'f2']);
    assert.equal(minimal.code, 0, minimal.output);
    assert.deepEqual(srv.changes[1], {
      author: 'a', committer: null, files: ['f1', 'f2'], comments: '', revision: 'r1', branch: 'main', category: null,
      revlink: '', properties: {}, repository: '', project: '', src: null,
    });
  } finally {
    await srv.close();
  }
});

test('a wrong password is refused, counted by the master\'s login limiter, and then even the right one waits', async () => {
  const limiter = new LoginRateLimiter({ burst: 1, refillPerSecond: 0.001 });
  const srv = await changeServer(limiter);
  try {
    const wrong = await sendchange(['--master', `127.0.0.1:${srv.port}`, '--auth', 'change:nope', '--who', 'a', 'f1']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.output, /change not sent/);
    assert.match(wrong.output, /login refused for change: unknown user name or wrong password/);
    assert.equal(limiter.size, 1);
    const limited = await sendchange(['--master', `127.0.0.1:${srv.port}`, '--auth', 'change:changepw', '--who', 'a', 'f1']);
    assert.notEqual(limited.code, 0);
    assert.match(limited.output, /too many failed logins from 127\.0\.0\.1; retry in \d+ s/);
    assert.deepEqual(srv.changes, [], 'nothing was added');
  } finally {
    await srv.close();
  }
});

test('files outside the prefix are dropped and the prefix is cut from the rest', async () => {
  const srv = await changeServer(new LoginRateLimiter(), 'trunk/');
  try {
    const r = await sendchange(['--master', `127.0.0.1:${srv.port}`, '--who', 'a', 'trunk/src/a.c', 'branches/x/b.c', 'trunk/README']);
    assert.equal(r.code, 0, r.output);
    assert.deepEqual(srv.changes[0]!.files, ['src/a.c', 'README']);
  } finally {
    await srv.close();
  }
});

test('a change dict Buildbot would refuse is answered with an error naming the problem', () => {
  const refusal = (d: unknown) => { try { changeFromPb(d); } catch (err) { assert.ok(err instanceof pb.PbError); return err.message; } return assert.fail('accepted'); };
  assert.match(refusal({ who: 'a', colour: 'red' }), /unknown field colour; the fields are author, who, committer/);
  assert.match(refusal({ files: [] }), /who \(or author\) is required/);
  assert.match(refusal({ who: 'a', when: 'yesterday' }), /when must be seconds since the epoch/);
  assert.match(refusal({ who: 'a', files: 'f1' }), /files must be a list/);
  assert.match(refusal(['a']), /one dictionary/);
  // Bytes (a Python 2 client) decode as UTF-8; `links` is ignored as Buildbot ignores it.
  assert.deepEqual(changeFromPb({ who: Buffer.from('böb'), files: [Buffer.from('f')], links: ['x'], revision: 42 }).author, 'böb');
  assert.equal(changeFromPb({ author: 'a', revision: 42 }).revision, '42');
});
