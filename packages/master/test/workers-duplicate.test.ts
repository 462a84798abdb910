import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';

const workers = [{ name: 'dup', password: 'pw' }];

test('a second connection under a live worker name is refused with a clear close reason and the first keeps its place', async (t) => {
  const h = await startHarness({ workers, duplicatePingTimeoutMs: 2000 });
  t.after(() => h.close());
  const attached = h.nextAttached('dup');
  const first = await connectFakeWorker({ url: h.url, name: 'dup', password: 'pw' });
  t.after(() => first.close());
  const worker = await attached;
  const second = await connectFakeWorker({ url: h.url, name: 'dup', password: 'pw' });
  const closed = await second.conn.closed;
  assert.equal(closed.code, 4001);
  assert.match(closed.reason, /already connected and alive/);
  assert.equal(h.manager.getWorker('dup'), worker);
  assert.equal(worker.connected, true);
  assert.equal(await worker.ping(1000), true);
});

test('a second connection replaces a dead one: the old one is detached and its running command ends as lost', async (t) => {
  const h = await startHarness({ workers, duplicatePingTimeoutMs: 300 });
  t.after(() => h.close());
  const attached = h.nextAttached('dup');
  // The first worker never completes its shell command, then stops answering like a half-open peer.
  const first = await connectFakeWorker({
    url: h.url, name: 'dup', password: 'pw',
    onCommand: async (command, _args, ctl) => {
      if (command === 'listdir') await ctl.update([['files', []]]);
      if (command !== 'shell') { await ctl.update([['rc', 0]]); await ctl.complete(null); }
    },
  });
  t.after(() => first.close());
  const old = await attached;
  const running = old.startCommand('b', 'shell', { workdir: 'build', command: ['sleep', '100'] });
  while (!first.commands.some((c) => c.command === 'shell')) await new Promise((r) => setImmediate(r));
  first.freeze();

  const detached = h.nextDetached('dup');
  const reattached = h.nextAttached('dup');
  const second = await connectFakeWorker({ url: h.url, name: 'dup', password: 'pw' });
  t.after(() => second.close());
  assert.equal(await detached, old);
  const fresh = await reattached;
  assert.notEqual(fresh, old);
  assert.equal(h.manager.getWorker('dup'), fresh);
  const result = await running.result;
  assert.equal(result.failure?.lostConnection, true);
  assert.equal(result.rc, null);
  const oldClosed = await first.conn.closed;
  assert.equal(oldClosed.code, 4001);
});

test('an old connection that closed meanwhile simply gives way to the newcomer', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const attached = h.nextAttached('dup');
  const first = await connectFakeWorker({ url: h.url, name: 'dup', password: 'pw' });
  const old = await attached;
  const detached = h.nextDetached('dup');
  await first.close();
  await detached;
  const again = h.nextAttached('dup');
  const second = await connectFakeWorker({ url: h.url, name: 'dup', password: 'pw' });
  t.after(() => second.close());
  assert.notEqual(await again, old);
});
