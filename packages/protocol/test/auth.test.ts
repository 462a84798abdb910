import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basicAuthHeader, parseBasicAuthHeader, workerUrl } from '../src/auth.js';

test('the Basic auth header round-trips a name and a password containing colons', () => {
  const header = basicAuthHeader('w0', 'pa:ss:wörd');
  assert.equal(header, `Basic ${Buffer.from('w0:pa:ss:wörd').toString('base64')}`);
  assert.deepEqual(parseBasicAuthHeader(header), { name: 'w0', password: 'pa:ss:wörd' });
});

test('a worker name with a colon is refused with advice', () => {
  assert.throws(() => basicAuthHeader('a:b', 'x'), /contains a colon/);
});

test('malformed or missing Authorization headers parse to null instead of throwing', () => {
  assert.equal(parseBasicAuthHeader(undefined), null);
  assert.equal(parseBasicAuthHeader('Bearer abc'), null);
  assert.equal(parseBasicAuthHeader('Basic !!!'), null);
  assert.equal(parseBasicAuthHeader(`Basic ${Buffer.from('nocolon').toString('base64')}`), null);
});

test('MASTER arguments become WebSocket URLs the way buildbot-worker reads them', () => {
  assert.equal(workerUrl('localhost:9989'), 'ws://localhost:9989');
  assert.equal(workerUrl('ci.example.org'), 'ws://ci.example.org:9989');
  assert.equal(workerUrl('[::1]:1234'), 'ws://[::1]:1234');
  assert.equal(workerUrl('wss://ci.example.org/ws'), 'wss://ci.example.org/ws');
  assert.throws(() => workerUrl('host:port'), /bad port/);
  assert.throws(() => workerUrl(':9989'), /no host/);
});
