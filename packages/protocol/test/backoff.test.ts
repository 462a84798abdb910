import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../src/backoff.js';
import { backoffDelay as fromIndex } from '../src/index.js';

test('delays grow exponentially up to the cap', () => {
  const o = { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 };
  assert.deepEqual([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, o)), [100, 200, 400, 800, 1000, 1000]);
});

test('jitter spreads delays between (1 - jitter) and 1 times the base', () => {
  const o = { initialMs: 1000, maxMs: 1000, jitter: 0.5 };
  assert.equal(backoffDelay(0, o, () => 0), 500);
  assert.equal(backoffDelay(0, o, () => 1), 1000);
  const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(3, o)));
  assert.ok(seen.size > 1);
});

test('the defaults are the worker\'s: from 0.5 s doubling up to 30 s, and the index exports the same function', () => {
  assert.equal(fromIndex, backoffDelay);
  assert.deepEqual([0, 1, 6, 20].map((a) => backoffDelay(a, { jitter: 0 })), [500, 1000, 30_000, 30_000]);
});
