/**
 * The keepalive's bound, with Node's mock timers driving the real Keepalive and PendingRequests: a
 * peer that stops answering right after a keepalive is declared dead within interval + timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keepalive } from '../src/keepalive.js';
import { PendingRequests } from '../src/pending-requests.js';
import { ErrorCodes, type ProtocolError } from '../src/errors.js';

/** Runs a keepalive against a peer that answers `answered` pings, then freezes; returns when it is declared dead (ms after the freeze). */
async function frozenPeerDetectedAfter(t: import('node:test').TestContext, intervalMs: number, timeoutMs: number, answered = 1): Promise<{ deadAfterMs: number | null; error: ProtocolError | null }> {
  t.mock.timers.enable({ apis: ['setInterval', 'setTimeout'] });
  const pending = new PendingRequests(10);
  let seq = 0;
  let elapsed = 0;
  let frozenAt: number | null = null;
  let deadAt: number | null = null;
  let error: ProtocolError | null = null;
  const keepalive = new Keepalive(intervalMs, timeoutMs, {
    ping: (ms) => {
      const answer = pending.add(seq, 'keepalive', ms);
      if (seq < answered) {
        pending.settle(seq, { result: null });
        if (seq === answered - 1) frozenAt = elapsed;
      }
      seq++;
      return answer;
    },
    // Nothing else arrives from a frozen peer: the last frame is older than any ping.
    lastReceivedAt: () => Number.NEGATIVE_INFINITY,
    onDead: (err) => { deadAt = elapsed; error = err; },
  });
  keepalive.start();
  // 100 ms steps: the measured time is exact to 0.1 s. Promise callbacks (an answer, a timeout's
  // verdict) run between steps, as they would between real timer events.
  while (deadAt === null && elapsed < 10 * (intervalMs + timeoutMs)) {
    elapsed += 100; // the time the timers below fire at
    t.mock.timers.tick(100);
    await new Promise((resolve) => setImmediate(resolve));
  }
  keepalive.stop();
  t.mock.timers.reset();
  return { deadAfterMs: deadAt === null || frozenAt === null ? null : deadAt - frozenAt, error };
}

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
