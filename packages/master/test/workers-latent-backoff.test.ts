import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureBackoff } from '../src/workers/latent/backoff.js';

test('each failure in a row pauses twice as long as the one before, up to max; an attach resets it', () => {
  let now = 1_000_000;
  const b = new FailureBackoff({ initialMs: 10_000, maxMs: 35_000 }, () => now);
  assert.equal(b.paused, false);
  assert.equal(b.failed('image not found'), 10_000);
  assert.deepEqual(b.state(), { failures: 1, lastError: 'image not found', pausedUntil: now + 10_000 });
  assert.equal(b.paused, true);
  now += 10_000;
  assert.equal(b.paused, false);
  assert.equal(b.state().pausedUntil, null);
  assert.equal(b.failed('again'), 20_000);
  assert.equal(b.failed('and again'), 35_000, 'capped at max');
  assert.equal(b.failed('still'), 35_000);
  assert.equal(b.state().failures, 4);
  assert.equal(b.remainingMs(), 35_000);
  b.succeeded();
  assert.deepEqual(b.state(), { failures: 0, lastError: null, pausedUntil: null });
  assert.equal(b.failed('new trouble'), 10_000, 'from initial again');
});
