import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateWindow } from '../src/output/update-window.js';
import type { UpdatePair } from '../src/output/update-buffer.js';

/** A transmit function whose acknowledgements the test releases one by one. */
function manualMaster() {
  const sent: UpdatePair[][] = [];
  const acks: Array<() => void> = [];
  return {
    sent,
    transmit: (pairs: UpdatePair[]) => { sent.push(pairs); return new Promise<void>((resolve) => acks.push(resolve)); },
    async ack() { acks.shift()!(); await new Promise((r) => setImmediate(r)); },
  };
}
const line = (text: string): UpdatePair => ['stdout', [text, [text.length - 1], [0]]];

test('while the window has room each batch is sent as it comes', () => {
  const m = manualMaster();
  const w = new UpdateWindow(m.transmit, 2, 1000);
  w.send([line('a\n')]);
  w.send([line('b\n')]);
  assert.equal(m.sent.length, 2);
  assert.equal(w.pending, 2);
});

test('batches beyond the window merge into one held update that goes out at the next acknowledgement', async () => {
  const m = manualMaster();
  const w = new UpdateWindow(m.transmit, 1, 1000);
  w.send([line('a\n')]);
  w.send([line('b\n')]);
  w.send([line('c\n'), ['rc', 0]]);
  assert.equal(m.sent.length, 1);
  await m.ack();
  assert.deepEqual(m.sent[1], [['stdout', ['b\nc\n', [1, 3], [0, 0]]], ['rc', 0]]);
});

test('the producer is congested only when the window and the held batch are both full, and drains after an acknowledgement', async () => {
  const m = manualMaster();
  const w = new UpdateWindow(m.transmit, 1, 10);
  w.send([line('first\n')]);
  assert.equal(w.congested, false);
  w.send([line('0123456789\n')]);
  assert.equal(w.congested, true);
  let drained = false;
  const waiting = w.whenDrained().then(() => { drained = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false);
  await m.ack();
  await waiting;
  assert.equal(w.congested, false);
  assert.equal(m.sent.length, 2);
});

test('whenSent waits for held output, and dispose drops it and releases waiters', async () => {
  const m = manualMaster();
  const w = new UpdateWindow(m.transmit, 1, 1000);
  w.send([line('a\n')]);
  w.send([line('b\n')]);
  let sent = false;
  const done = w.whenSent().then(() => { sent = true; });
  await new Promise((r) => setImmediate(r));
  assert.equal(sent, false);
  await m.ack();
  await done;
  w.send([line('c\n')]);
  const released = w.whenSent();
  w.dispose();
  await released;
  assert.equal(m.sent.length, 2, 'nothing is sent after dispose');
});
