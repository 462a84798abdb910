/**
 * Fault tolerance of the master's worker connections: workers that stop answering at awkward
 * moments, over a real WebSocket on loopback.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';

const workers = [{ name: 'w', password: 'p' }];

test('a worker that answers neither start_command nor a ping is dropped and the command ends as a lost connection', async (t) => {
  // Keepalives are far apart: only the unanswered start_command can reveal the dead worker in time.
  const h = await startHarness({ workers, requestTimeoutMs: 300, duplicatePingTimeoutMs: 300, keepaliveIntervalMs: 600_000 });
  t.after(() => h.close());
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({ url: h.url, name: 'w', password: 'p' });
  t.after(() => fake.close());
  const worker = await attached;
  const detached = h.nextDetached('w');
  fake.freeze(); // half-open: the socket stays up, nothing is answered
  const running = worker.startCommand('b', 'shell', { workdir: 'w', command: 'true' });
  const result = await running.result;
  // Lost, not a plain failure: the build ends RETRY and its request runs again.
  assert.equal(result.failure?.lostConnection, true, JSON.stringify(result));
  assert.match(result.failure!.message, /stopped answering/);
  assert.equal(await detached, worker);
});

test('a worker that answers pings but not start_command stays attached; only that command fails', async (t) => {
  const h = await startHarness({ workers, requestTimeoutMs: 300, duplicatePingTimeoutMs: 300, keepaliveIntervalMs: 600_000 });
  t.after(() => h.close());
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({ url: h.url, name: 'w', password: 'p' });
  t.after(() => fake.close());
  const worker = await attached;
  fake.conn.setHandler('start_command', () => new Promise(() => {}));
  const result = await worker.startCommand('b', 'shell', { workdir: 'w', command: 'true' }).result;
  assert.equal(result.failure?.lostConnection, undefined, JSON.stringify(result));
  assert.match(result.failure!.message, /did not acknowledge/);
  assert.equal(worker.connected, true);
  assert.equal(h.manager.getWorker('w'), worker);
  // It was asked to stop the command it may be running anyway (frames are handled in order, so
  // once the ping is answered the interrupt has arrived).
  assert.equal(await worker.ping(1000), true);
  assert.equal(fake.interrupts.length, 1);
});

test("a worker's own keepalive interval overrides the server's, so its freeze is noticed on its schedule", async (t) => {
  const h = await startHarness({ workers: [{ name: 'w', password: 'p', keepaliveIntervalMs: 100 }], keepaliveIntervalMs: 600_000, keepaliveTimeoutMs: 300 });
  t.after(() => h.close());
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({ url: h.url, name: 'w', password: 'p' });
  t.after(() => fake.close());
  const worker = await attached;
  const detached = h.nextDetached('w');
  fake.freeze();
  let timer!: NodeJS.Timeout;
  const tooLate = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the frozen worker was not dropped within 10 s: its keepalive interval was ignored')), 10_000); });
  try {
    assert.equal(await Promise.race([detached, tooLate]), worker);
  } finally { clearTimeout(timer); }
});
