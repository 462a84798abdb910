import { test } from 'node:test';
import assert from 'node:assert/strict';
import { latentEnvironment, parseMasterAddress, safeName } from '../src/workers/latent/environment.js';

test("an instance is told Buildbot's latent-worker variables; the provider's env may not replace the name or password", () => {
  const env = latentEnvironment({ workerName: 'dock/2', password: 'pw', master: { host: 'ci.example.org', port: 9989 } }, { WORKERPASS: 'x', FOO: 'bar', BUILDMASTER_PROTOCOL: 'pb' });
  assert.deepEqual(env, { BUILDMASTER_PROTOCOL: 'pb', WORKERPASS: 'pw', FOO: 'bar', BUILDMASTER: 'ci.example.org', BUILDMASTER_PORT: '9989', WORKERNAME: 'dock/2' });
  assert.equal(latentEnvironment({ workerName: 'w', password: 'p', master: { host: 'h', port: 1 } }).BUILDMASTER_PROTOCOL, 'msgpack_experimental_v7');
});

test("masterAddress is 'host' or 'host:port' (Buildbot's masterFQDN); the port defaults to the worker port", () => {
  assert.deepEqual(parseMasterAddress('ci.example.org', 9989), { host: 'ci.example.org', port: 9989 });
  assert.deepEqual(parseMasterAddress('10.0.0.5:19989', 9989), { host: '10.0.0.5', port: 19989 });
  assert.deepEqual(parseMasterAddress('[fd00::5]:19989', 9989), { host: 'fd00::5', port: 19989 });
  assert.deepEqual(parseMasterAddress('fd00::5', 9989), { host: 'fd00::5', port: 9989 });
  assert.throws(() => parseMasterAddress('ci:http', 1), /masterAddress "ci:http": "http" is not a port number/);
  assert.throws(() => parseMasterAddress('ws://ci/x', 1), /is not host or host:port/);
});

test("a pool instance's name makes a file name no named worker's can", () => {
  assert.equal(safeName('dock/3'), 'dock+3');
  assert.equal(safeName('dock-3'), 'dock-3');
});
