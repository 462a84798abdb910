/**
 * Drives the real Keepalive and PendingRequests with Node's mock timers against a peer that answers
 * some keepalives and then freezes (answers nothing, sends nothing), and measures when the peer is
 * declared dead. Shared by the protocol's keepalive tests and the master's test of its defaults.
 */
import type { TestContext } from 'node:test';
import { Keepalive } from '../../src/keepalive.js';
import { PendingRequests } from '../../src/pending-requests.js';
import type { ProtocolError } from '../../src/errors.js';

/** Runs a keepalive against a peer that answers `answered` pings, then freezes; returns when it is declared dead (ms after the freeze). */
export async function frozenPeerDetectedAfter(t: TestContext, intervalMs: number, timeoutMs: number, answered = 1): Promise<{ deadAfterMs: number | null; error: ProtocolError | null }> {
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

