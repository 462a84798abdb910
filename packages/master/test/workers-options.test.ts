import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveOptions } from '../src/workers/options.js';
import { frozenPeerDetectedAfter } from '../../protocol/test/support/frozen-peer.js';

test('with the default keepalive a frozen worker is noticed within 45 s', async (t) => {
  const { keepaliveIntervalMs, keepaliveTimeoutMs } = resolveOptions();
  const { deadAfterMs } = await frozenPeerDetectedAfter(t, keepaliveIntervalMs, keepaliveTimeoutMs);
  assert.ok(deadAfterMs !== null, 'the frozen worker was declared dead');
  // The worst case: frozen right after answering a keepalive.
  assert.ok(deadAfterMs <= 45_000, `noticed ${deadAfterMs} ms after it froze (interval ${keepaliveIntervalMs} ms, timeout ${keepaliveTimeoutMs} ms)`);
});

test('maxBufferedBytes at or below the high-water mark is refused when the options are resolved', () => {
  assert.throws(() => resolveOptions({ highWaterMark: 1024, maxBufferedBytes: 1024 }), /maxBufferedBytes \(1024\) must be larger than highWaterMark \(1024\)/);
  assert.equal(resolveOptions({ highWaterMark: 32 * 1024 * 1024 }).maxBufferedBytes, 128 * 1024 * 1024, 'the default grows with a larger high-water mark');
});
