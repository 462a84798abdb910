/**
 * Cred login over PB with Twisted's own client (`PBClientFactory.login`, what `buildbot sendchange`
 * and `buildbot-worker` call): the MD5 challenge-response, a perspective per user, the client's
 * mind callable from the server, refusals Twisted reads as UnauthorizedLogin, and failed logins
 * charged to the caller's limiter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { Broker } from '../src/pb/broker.js';
import { login, md5Digest, portalRoot, respond, type PbLoginLimiter, type PbPortal } from '../src/pb/cred.js';
import { PbRemoteError } from '../src/pb/errors.js';
import { Referenceable, RemoteReference } from '../src/pb/referenceable.js';
import { pbServer } from './support/pb-pair.js';
import { runTwistedPbClient, SYSTEM_PYTHON, T } from './support/twisted.js';

/** Counts failures per key and refuses a key after `burst` of them (the shape of the master's LoginRateLimiter). */
function countingLimiter(burst: number): PbLoginLimiter & { failures: Map<string, number>; refunds: number } {
  const failures = new Map<string, number>();
  const limiter = {
    failures, refunds: 0,
    retryAfterMs: (key: string) => ((failures.get(key) ?? 0) >= burst ? 5000 : 0),
    recordFailure: (key: string) => { failures.set(key, (failures.get(key) ?? 0) + 1); },
    refund: (key: string) => { limiter.refunds++; failures.set(key, (failures.get(key) ?? 1) - 1); },
  };
  return limiter;
}

async function changeServer(limiter?: PbLoginLimiter) {
  const minds: (RemoteReference | null)[] = [];
  const perspectives: string[] = [];
  const portal: PbPortal = {
    passwordDigest: (user) => (user === 'change' ? md5Digest('changepw') : user === 'w1' ? md5Digest('pässword') : null),
    perspective: (user, mind) => {
      minds.push(mind);
      perspectives.push(user);
      return new Referenceable({
        whoami: () => user,
        echo: ({ args, kwargs }) => ({ args, kwargs }),
        askMind: async () => mind!.callRemote('echo', 'from', 'server'),
      }, `perspective of ${user}`);
    },
    limiter,
  };
  const srv = await pbServer((socket) => {
    const b = new Broker(socket, { role: 'server' });
    b.setNamedObject('root', portalRoot(portal, socket.remoteAddress ?? 'unknown'));
    return b;
  });
  return { ...srv, minds, perspectives };
}

test('respond() computes what Twisted\'s pb.respond computes', () => {
  const challenge = Buffer.from('0123456789abcdef');
  const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import sys; from twisted.spread import pb; sys.stdout.write(pb.respond(b"0123456789abcdef", "pässword".encode()).hex())'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(respond(challenge, 'pässword').toString('hex'), r.stdout);
  assert.deepEqual(respond(challenge, 'x'), createHash('md5').update(createHash('md5').update('x').digest()).update(challenge).digest());
});

test('Twisted\'s PBClientFactory logs in, gets its own perspective, and its mind can be called back', async () => {
  const srv = await changeServer();
  const results = await runTwistedPbClient(srv.port, { user: 'w1', password: 'pässword', calls: [
    { method: 'whoami' },
    { method: 'echo', args: [T.d([T.s('who'), T.s('a')])], kwargs: { extra: T.l(T.i(1)) } },
    { method: 'askMind' },
    { method: 'nosuch' },
  ] });
  assert.deepEqual(results, [
    { ok: T.s('w1') },
    { ok: T.d([T.s('args'), T.l(T.d([T.s('who'), T.s('a')]))], [T.s('kwargs'), T.d([T.s('extra'), T.l(T.i(1))])]) },
    { ok: T.l(T.l(T.s('from'), T.s('server')), T.d()) },
    { error: { type: 'twisted.spread.flavors.NoSuchMethod', value: 'No such method: remote_nosuch' } },
  ]);
  assert.deepEqual(srv.perspectives, ['w1']);
  assert.ok(srv.minds[0] instanceof RemoteReference);
  await srv.close();
});

test('a wrong password or unknown user is refused as UnauthorizedLogin and charged to the limiter; a success is refunded', async () => {
  const limiter = countingLimiter(2);
  const srv = await changeServer(limiter);
  try {
    for (const [user, password] of [['change', 'wrong'], ['nobody', 'changepw']]) {
      const [result] = await runTwistedPbClient(srv.port, { user, password, calls: [] });
      assert.ok(result && 'login_error' in result, JSON.stringify(result));
      assert.equal(result.login_error.type, 'twisted.cred.error.UnauthorizedLogin');
      assert.equal(result.login_error.unauthorized, true, "Failure.check(UnauthorizedLogin), buildbot-worker's test before it retries");
      assert.match(result.login_error.value, new RegExp(`login refused for ${user}: unknown user name or wrong password`));
    }
    assert.deepEqual([...limiter.failures], [['127.0.0.1 change', 1], ['127.0.0.1 (unknown user)', 1]]);
    assert.deepEqual(await runTwistedPbClient(srv.port, { user: 'change', password: 'changepw', calls: [{ method: 'whoami' }] }), [{ ok: T.s('change') }]);
    assert.equal(limiter.refunds, 1);
    assert.equal(limiter.failures.get('127.0.0.1 change'), 1, 'the successful try was given back');
    // One more failure reaches the burst: then even the right password is refused until the wait is over.
    await runTwistedPbClient(srv.port, { user: 'change', password: 'wrong', calls: [] });
    const [limited] = await runTwistedPbClient(srv.port, { user: 'change', password: 'changepw', calls: [] });
    assert.ok(limited && 'login_error' in limited);
    assert.equal(limited.login_error.unauthorized, true, 'still UnauthorizedLogin, so a Buildbot worker retries later');
    assert.match(limited.login_error.value, /too many failed logins from 127\.0\.0\.1; retry in 5 s/);
    assert.deepEqual(srv.perspectives, ['change']);
  } finally {
    await srv.close();
  }
});

test('a challenge answers one response only, and our client logs in too', async () => {
  const srv = await changeServer();
  const socket = connect(srv.port, '127.0.0.1');
  const broker = new Broker(socket, { role: 'client' });
  await broker.ready;
  const root = broker.remoteForName('root');
  const [challenge, challenger] = await root.callRemote('login', Buffer.from('change')) as [Buffer, RemoteReference];
  assert.equal(challenge.length, 16);
  await assert.rejects(challenger.callRemote('respond', respond(challenge, 'wrong'), null), PbRemoteError);
  await assert.rejects(challenger.callRemote('respond', respond(challenge, 'changepw'), null),
    (err: unknown) => err instanceof PbRemoteError && err.check('twisted.cred.error.UnauthorizedLogin') && /already answered; call login again/.test(err.message));
  const perspective = await login(root, 'change', 'changepw', new Referenceable({ echo: ({ args }) => args }));
  assert.equal(await perspective.callRemote('whoami'), 'change');
  assert.deepEqual(await perspective.callRemote('askMind'), ['from', 'server']);
  broker.close();
  socket.destroy();
  await srv.close();
});
