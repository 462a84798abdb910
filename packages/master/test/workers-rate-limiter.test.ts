import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LoginRateLimiter } from '../src/workers/login-rate-limiter.js';
import { CredentialStore } from '../src/workers/credentials.js';

test('an address gets `burst` failed logins, then one more per refill interval', () => {
  let now = 0;
  const limiter = new LoginRateLimiter({ burst: 3, refillPerSecond: 1 }, () => now);
  for (let i = 0; i < 3; i++) { assert.equal(limiter.allows('a'), true); limiter.recordFailure('a'); }
  assert.equal(limiter.allows('a'), false);
  assert.equal(limiter.retryAfterMs('a'), 1000);
  assert.equal(limiter.allows('b'), true, 'other addresses are not affected');
  now += 999;
  assert.equal(limiter.allows('a'), false);
  now += 1;
  assert.equal(limiter.allows('a'), true);
  limiter.recordFailure('a');
  assert.equal(limiter.allows('a'), false);
});

test('a fully refilled address is forgotten, and tracked addresses are bounded', () => {
  let now = 0;
  const limiter = new LoginRateLimiter({ burst: 2, refillPerSecond: 1, maxTrackedAddresses: 100 }, () => now);
  limiter.recordFailure('x');
  now += 5000;
  assert.equal(limiter.allows('x'), true);
  assert.equal(limiter.size, 0);
  for (let i = 0; i < 500; i++) limiter.recordFailure(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(limiter.size, 100);
});

test('credentials match only the configured password of the configured name', () => {
  const store = new CredentialStore([{ name: 'w', password: 'pässwörd:with:colons' }]);
  assert.equal(store.check('w', 'pässwörd:with:colons'), true);
  assert.equal(store.check('w', 'pässwörd:with:colon'), false);
  assert.equal(store.check('w', ''), false);
  assert.equal(store.check('nobody', 'pässwörd:with:colons'), false);
  assert.deepEqual(store.replace([{ name: 'v', password: 'p' }]), ['w']);
  assert.equal(store.check('w', 'pässwörd:with:colons'), false);
  assert.equal(store.check('v', 'p'), true);
});
