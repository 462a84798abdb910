/**
 * The keepalive's bound, with Node's mock timers driving the real Keepalive and PendingRequests: a
 * peer that stops answering right after a keepalive is declared dead within interval + timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCodes } from '../src/errors.js';
import { frozenPeerDetectedAfter } from './support/frozen-peer.js';

test('a peer that freezes right after answering a keepalive is declared dead within interval + timeout', async (t) => {
  const { deadAfterMs, error } = await frozenPeerDetectedAfter(t, 2_000, 3_000);
  assert.ok(deadAfterMs !== null, 'the frozen peer was declared dead');
  assert.ok(deadAfterMs <= 5_000, `declared dead ${deadAfterMs} ms after the freeze`);
  assert.equal(error?.code, ErrorCodes.KEEPALIVE_TIMEOUT);
});

test('a timeout longer than the interval still gives interval + timeout: ticks while a ping is out do not restart it', async (t) => {
  const { deadAfterMs } = await frozenPeerDetectedAfter(t, 1_000, 4_000);
  assert.ok(deadAfterMs !== null && deadAfterMs <= 5_000, `declared dead ${deadAfterMs} ms after the freeze`);
});
