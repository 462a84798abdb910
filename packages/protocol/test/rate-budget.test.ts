import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateBudget } from '../src/rate-budget.js';

test('a budget lets a burst of perMinute pass, refuses the next and counts the refusals', () => {
  const now = 0;
  const b = new RateBudget(3, () => now);
  assert.deepEqual([b.take(), b.take(), b.take(), b.take(), b.take()], [true, true, true, false, false]);
  assert.equal(b.takeRefused(), 2);
  assert.equal(b.takeRefused(), 0, 'reading the count resets it');
});

test('a budget regains perMinute tokens a minute, never more than perMinute', () => {
  let now = 0;
  const b = new RateBudget(6, () => now);
  for (let i = 0; i < 6; i++) assert.ok(b.take());
  assert.equal(b.take(), false);
  now += 10_000; // a sixth of a minute: one token back
  assert.equal(b.take(), true);
  assert.equal(b.take(), false);
  now += 3_600_000; // an hour later the bucket is full, not 360 tokens deep
  let passed = 0;
  while (b.take()) passed++;
  assert.equal(passed, 6);
});

test('perMinute 0 means no limit, and a negative budget is refused', () => {
  const b = new RateBudget(0);
  for (let i = 0; i < 10_000; i++) assert.ok(b.take());
  assert.throws(() => new RateBudget(-1), RangeError);
});
