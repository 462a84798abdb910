import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeWorkerConfig } from '../src/config.js';
import { prepareStart } from '../src/start-config.js';
import { silentLogger } from 'mastro-protocol';
import { lineLogger } from '../src/logger.js';
import { tempDir } from './support/helpers.js';

const LATENT = { BUILDMASTER: '127.0.0.1', BUILDMASTER_PORT: '9999', WORKERNAME: 'docker-7', WORKERPASS: 'latent-secret' };
const stored = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'worker.json'), 'utf8')) as Record<string, unknown>;

test('a named worker starts with the password of its worker.json; latent-worker variables in the environment are ignored, and the log says so', (t) => {
  const dir = tempDir(t);
  writeWorkerConfig(dir, { master: 'localhost:9989', name: 'w0', password: 'pw' });
  const { config, credentials, notes } = prepareStart(dir, LATENT, silentLogger);
  assert.deepEqual([config.master, credentials.name, credentials.pool, credentials.password()], ['ws://localhost:9989', 'w0', null, 'pw']);
  assert.match(notes.join('\n'), /BUILDMASTER, WORKERNAME, WORKERPASS set in the environment but ignored: .* holds a worker made by create-worker/);
  assert.equal(stored(dir).name, 'w0', 'worker.json is not rewritten');
});

test('a pool worker reads its token file at start and again before each connection, keeping the last good token if it becomes unreadable', (t) => {
  const dir = tempDir(t);
  const tokenFile = path.join(dir, 'pool.token');
  writeFileSync(tokenFile, 'first\n', { mode: 0o600 });
  writeWorkerConfig(dir, { master: 'localhost:9989', name: 'h-1', pool: 'linux', tokenFile });
  const logs: string[] = [];
  const { credentials } = prepareStart(dir, {}, lineLogger((line) => logs.push(line)));
  assert.deepEqual([credentials.name, credentials.pool, credentials.source], ['h-1', 'linux', `the token in ${tokenFile}`]);
  assert.equal(credentials.password(), 'first');
  writeFileSync(tokenFile, 'rotated\n');
  assert.equal(credentials.password(), 'rotated');
  chmodSync(tokenFile, 0o644);
  assert.equal(credentials.password(), 'rotated');
  assert.match(logs.join('\n'), /are too open.*trying again with the token read before/);
});

test('a pool worker whose token file is world-readable does not start', (t) => {
  const dir = tempDir(t);
  const tokenFile = path.join(dir, 'pool.token');
  writeFileSync(tokenFile, 'tok\n');
  chmodSync(tokenFile, 0o644);
  writeWorkerConfig(dir, { master: 'localhost:9989', name: 'h-1', pool: 'linux', tokenFile });
  assert.throws(() => prepareStart(dir, {}, silentLogger), /permissions 0644 .* are too open/);
});

test('with Buildbot\'s latent-worker variables an empty directory is set up from them, and no secret is written to disk', (t) => {
  const dir = path.join(tempDir(t), 'container-worker');
  const { config, credentials, notes } = prepareStart(dir, LATENT, silentLogger);
  assert.deepEqual([config.master, credentials.name, credentials.pool, credentials.password()], ['ws://127.0.0.1:9999', 'docker-7', null, 'latent-secret']);
  const onDisk = readFileSync(path.join(dir, 'worker.json'), 'utf8');
  assert.doesNotMatch(onDisk, /latent-secret/);
  assert.equal(stored(dir).fromEnvironment, true);
  assert.equal(statSync(path.join(dir, 'worker.json')).mode & 0o777, 0o600);
  assert.ok(existsSync(path.join(dir, 'info', 'admin')) && existsSync(path.join(dir, 'info', 'host')));
  assert.match(notes[0]!, /^set up from the environment: BUILDMASTER=127\.0\.0\.1 BUILDMASTER_PORT=9999 .*WORKERNAME=docker-7 WORKERPASS=\(set, not shown\)/);
});

test('a directory set up from the environment is refreshed from it at each start and keeps the options a user set', (t) => {
  const dir = tempDir(t);
  prepareStart(dir, LATENT, silentLogger);
  const edited = { ...stored(dir), keepalive: 17 };
  writeFileSync(path.join(dir, 'worker.json'), JSON.stringify(edited));
  const { config, credentials } = prepareStart(dir, { ...LATENT, BUILDMASTER_PORT: '9998', WORKERNAME: 'docker-8', WORKERPASS: 'next' }, silentLogger);
  assert.deepEqual([config.master, config.keepalive, credentials.name, credentials.password()], ['ws://127.0.0.1:9998', 17, 'docker-8', 'next']);
});

test('a pool worker from the environment without WORKERNAME gets a name made from the host name, the same at every start', (t) => {
  const dir = tempDir(t);
  const env = { BUILDMASTER: 'ci', MASTRO_WORKER_POOL: 'linux', WORKERPASS: 'tok', MASTRO_WORKER_TAGS: 'docker' };
  const first = prepareStart(dir, env, silentLogger);
  const second = prepareStart(dir, env, silentLogger);
  assert.match(first.credentials.name, /^[a-z0-9_-]+-[0-9a-f]{6}$/);
  assert.equal(second.credentials.name, first.credentials.name);
  assert.deepEqual([second.credentials.pool, second.credentials.password(), second.config.tags], ['linux', 'tok', ['docker']]);
});

test('a directory set up from the environment will not start without it, and says which variables to set', (t) => {
  const dir = tempDir(t);
  prepareStart(dir, LATENT, silentLogger);
  assert.throws(() => prepareStart(dir, {}, silentLogger), /was set up from Buildbot's latent-worker variables and keeps no password: set them to start it \(BUILDMASTER, BUILDMASTER_PORT, WORKERNAME, WORKERPASS/);
});

test('without worker.json and without the variables, start says how to create the worker, as before', (t) => {
  const dir = tempDir(t);
  assert.throws(() => prepareStart(dir, { PATH: '/bin' }, silentLogger), /worker\.json is missing: .* is not a worker directory; create it with: mastro-worker create-worker/);
});
