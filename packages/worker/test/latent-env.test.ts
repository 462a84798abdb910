import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasLatentEnvironment, readLatentEnvironment, scrubEnvironment } from '../src/latent-env.js';

test('Buildbot\'s latent-worker variables name the master, the worker and its password', () => {
  const env = { BUILDMASTER: 'ci.example.org', BUILDMASTER_PORT: '9999', BUILDMASTER_PROTOCOL: 'msgpack_experimental_v7', WORKERNAME: 'docker-1', WORKERPASS: 'pw' };
  assert.equal(hasLatentEnvironment(env), true);
  const latent = readLatentEnvironment(env);
  assert.deepEqual({ ...latent, summary: undefined }, { master: 'ws://ci.example.org:9999', name: 'docker-1', secret: 'pw', pool: null, tokenFile: null, tags: [], summary: undefined });
  assert.doesNotMatch(latent.summary, /pw/, 'the password is never in the summary');
  assert.match(latent.summary, /WORKERPASS=\(set, not shown\)/);
});

test('unset variables take buildbot.tac\'s defaults: localhost, port 9989, worker name docker', () => {
  const latent = readLatentEnvironment({ WORKERPASS: 'pw' });
  assert.equal(latent.master, 'ws://localhost:9989');
  assert.equal(latent.name, 'docker');
});

test('nothing of it set, or only unrelated variables, is no latent environment', () => {
  assert.equal(hasLatentEnvironment({}), false);
  assert.equal(hasLatentEnvironment({ BUILDMASTER_PORT: '9989', PATH: '/bin', WORKERNAME: '' }), false);
});

test('BUILDMASTER may be an IPv6 literal, host:port, or a ws:// URL', () => {
  assert.equal(readLatentEnvironment({ BUILDMASTER: '::1', BUILDMASTER_PORT: '1234', WORKERPASS: 'x' }).master, 'ws://[::1]:1234');
  assert.equal(readLatentEnvironment({ BUILDMASTER: 'ci:1234', WORKERPASS: 'x' }).master, 'ws://ci:1234');
  assert.equal(readLatentEnvironment({ BUILDMASTER: 'wss://ci.example.org/workers', WORKERPASS: 'x' }).master, 'wss://ci.example.org/workers');
  assert.throws(() => readLatentEnvironment({ BUILDMASTER: 'wss://ci', BUILDMASTER_PORT: '1', WORKERPASS: 'x' }), /carries its own port, and BUILDMASTER_PORT=1 is set too/);
  assert.throws(() => readLatentEnvironment({ BUILDMASTER: 'http://ci:8010', WORKERPASS: 'x' }), /BUILDMASTER=http:\/\/ci:8010 names no master: .*is an HTTP address/);
  assert.throws(() => readLatentEnvironment({ BUILDMASTER_PORT: 'nine', WORKERPASS: 'x' }), /BUILDMASTER_PORT=nine is not a port number/);
});

test('BUILDMASTER_PROTOCOL=pb is refused: the worker speaks msgpack over WebSocket, and the message says what to set', () => {
  assert.throws(() => readLatentEnvironment({ BUILDMASTER_PROTOCOL: 'pb', WORKERPASS: 'x' }), /BUILDMASTER_PROTOCOL=pb, but mastro-worker speaks .*msgpack_experimental_v7.*master_protocol='msgpack_experimental_v7'/);
  assert.throws(() => readLatentEnvironment({ BUILDMASTER_PROTOCOL: 'carrier-pigeon', WORKERPASS: 'x' }), /not a protocol mastro-worker speaks/);
  assert.equal(readLatentEnvironment({ BUILDMASTER_PROTOCOL: 'msgpack', WORKERPASS: 'x' }).master, 'ws://localhost:9989');
});

test('without WORKERPASS a named worker is refused before it tries to connect', () => {
  assert.throws(() => readLatentEnvironment({ BUILDMASTER: 'ci', WORKERNAME: 'w' }), /WORKERPASS is not set/);
});

test('MASTRO_WORKER_POOL joins a pool with the token in WORKERPASS or MASTRO_WORKER_TOKEN_FILE, the name optional', () => {
  assert.deepEqual(readLatentEnvironment({ MASTRO_WORKER_POOL: 'linux', WORKERPASS: 'tok' }).name, null);
  const fromFile = readLatentEnvironment({ MASTRO_WORKER_POOL: 'linux', MASTRO_WORKER_TOKEN_FILE: '/run/secrets/pool', MASTRO_WORKER_TAGS: 'docker,gpu=a100' });
  assert.deepEqual([fromFile.pool, fromFile.tokenFile, fromFile.secret, fromFile.tags], ['linux', '/run/secrets/pool', null, ['docker', 'gpu=a100']]);
  assert.throws(() => readLatentEnvironment({ MASTRO_WORKER_POOL: 'linux' }), /MASTRO_WORKER_POOL=linux is set but no token/);
  assert.throws(() => readLatentEnvironment({ MASTRO_WORKER_POOL: 'a/b', WORKERPASS: 't' }), /MASTRO_WORKER_POOL: pool name "a\/b" is not valid/);
  assert.throws(() => readLatentEnvironment({ MASTRO_WORKER_POOL: 'p', WORKERNAME: 'x y', WORKERPASS: 't' }), /WORKERNAME: worker name "x y" is not valid/);
  assert.throws(() => readLatentEnvironment({ WORKERPASS: 't', MASTRO_WORKER_TAGS: 'os=linux' }), /MASTRO_WORKER_TAGS: .*reports itself/);
});

test('the password and the blacklisted variables are removed from the environment builds get, WORKERPASS whatever the blacklist says', () => {
  const env: NodeJS.ProcessEnv = { WORKERPASS: 'pw', AWS_SECRET: 's', AWS_KEY: 'k', PATH: '/bin', WORKER_ENVIRONMENT_BLACKLIST: 'AWS_* TOKEN?' , TOKEN1: 'x', TOKEN12: 'y' };
  const { removed, unsupported } = scrubEnvironment(env);
  assert.deepEqual(removed.sort(), ['AWS_KEY', 'AWS_SECRET', 'TOKEN1', 'WORKERPASS']);
  assert.deepEqual(unsupported, []);
  assert.deepEqual(Object.keys(env).sort(), ['PATH', 'TOKEN12', 'WORKER_ENVIRONMENT_BLACKLIST']);
});

test('by default only WORKERPASS is removed, as in buildbot.tac; a [...] class is reported, not silently ignored', () => {
  const env: NodeJS.ProcessEnv = { WORKERPASS: 'pw', WORKERNAME: 'w', HOME: '/root' };
  assert.deepEqual(scrubEnvironment(env).removed, ['WORKERPASS']);
  assert.deepEqual(Object.keys(env), ['WORKERNAME', 'HOME']);
  const withClass: NodeJS.ProcessEnv = { WORKER_ENVIRONMENT_BLACKLIST: 'KEY[12] X', KEY1: 'a', X: 'b' };
  assert.deepEqual(scrubEnvironment(withClass), { removed: ['X'], unsupported: ['KEY[12]'] });
});
