import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReplayGuard } from '../src/www/hooks/replay-guard.js';
import { verifyHubSignature256, hubSignature256 } from '../src/www/hooks/signature.js';
import { safeEqual } from '../src/util/safe-equal.js';

test('the replay guard forgets the oldest ids beyond maxEntries', () => {
  const g = new ReplayGuard({ maxEntries: 3 });
  for (const id of ['a', 'b', 'c', 'd']) g.remember(id);
  assert.equal(g.size, 3);
  assert.equal(g.has('a'), false);
  assert.equal(g.has('d'), true);
});

test('the replay guard forgets ids older than ttlSeconds', () => {
  let now = 0;
  const g = new ReplayGuard({ ttlSeconds: 10, now: () => now });
  g.remember('x');
  now = 9_000;
  assert.equal(g.has('x'), true);
  now = 10_001;
  assert.equal(g.has('x'), false);
  assert.equal(g.size, 0);
});

test('signature checks accept the right HMAC and refuse others of any length', () => {
  const body = Buffer.from('Hello, World!');
  // The example from GitHub's "Validating webhook deliveries" documentation.
  assert.equal(hubSignature256("It's a Secret to Everybody", body), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  assert.deepEqual(verifyHubSignature256("It's a Secret to Everybody", body, 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'), { ok: true });
  assert.equal(verifyHubSignature256('other', body, hubSignature256("It's a Secret to Everybody", body)).ok, false);
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abcd'), false);
});
