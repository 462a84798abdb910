import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';

const workers = [{ name: 'w', password: 'p' }];

test('a worker that stops answering keepalives is detached and its commands end as lost', async (t) => {
  // The fake is frozen right after the command is sent, possibly before it acknowledged it.
  const h = await startHarness({ workers, keepaliveIntervalMs: 100, keepaliveTimeoutMs: 300 });
  t.after(() => h.close());
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({
    url: h.url, name: 'w', password: 'p',
    onCommand: async (command, _a, ctl) => { if (command !== 'shell') { if (command === 'listdir') await ctl.update([['files', []]]); await ctl.update([['rc', 0]]); await ctl.complete(null); } },
  });
  t.after(() => fake.close());
  const worker = await attached;
  const running = worker.startCommand('b', 'shell', { workdir: 'w', command: 'sleep 100' });
  const detached = h.nextDetached('w');
  fake.freeze();
  assert.equal(await detached, worker);
  const result = await running.result;
  // Whether the worker had acknowledged start_command before going silent or not, it is a lost connection.
  assert.equal(result.failure?.lostConnection, true, JSON.stringify(result));
});

test('a worker whose attach sequence fails is disconnected with a reason that says why', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const failed = new Promise<[string, Error]>((resolve) => h.manager.once('attachFailed', (name, err) => resolve([name, err])));
  const fake = await connectFakeWorker({
    url: h.url, name: 'w', password: 'p',
    onCommand: async (_c, _a, ctl) => { await ctl.update([['rc', 13]]); await ctl.complete(null); },
  });
  t.after(() => fake.close());
  const [name, err] = await failed;
  assert.equal(name, 'w');
  assert.match(err.message, /could not list its basedir \(rc 13\)/);
  const closed = await fake.conn.closed;
  assert.equal(closed.code, 1008);
  assert.match(closed.reason, /attach failed/);
  assert.equal(h.manager.getWorker('w'), undefined);
});

test('closing the manager ends running commands as lost, detaches workers and frees the port', async () => {
  const h = await startHarness({ workers });
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({
    url: h.url, name: 'w', password: 'p',
    onCommand: async (command, _a, ctl) => { if (command !== 'shell') { if (command === 'listdir') await ctl.update([['files', []]]); await ctl.update([['rc', 0]]); await ctl.complete(null); } },
  });
  const worker = await attached;
  const running = worker.startCommand('b', 'shell', { workdir: 'w', command: 'sleep 100' });
  const detached = h.nextDetached('w');
  await h.close();
  await detached;
  assert.equal((await running.result).failure?.lostConnection, true);
  assert.equal((await fake.conn.closed).code, 1001);
  await assert.rejects(connectFakeWorker({ url: h.url, name: 'w', password: 'p' }));
});

test('the master tells a worker "attached" in a print message once its attach sequence succeeded, as Buildbot does', async (t) => {
  // Buildbot's `buildbot-worker start` waits for "message from master: attached" in its log.
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({ url: h.url, name: 'w', password: 'p' });
  t.after(() => fake.close());
  await attached;
  assert.deepEqual(fake.prints, ['attached']);
});

test('a worker whose attach sequence fails is not told "attached"', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const failed = new Promise((resolve) => h.manager.once('attachFailed', resolve));
  const fake = await connectFakeWorker({
    url: h.url, name: 'w', password: 'p',
    onCommand: async (_c, _a, ctl) => { await ctl.update([['rc', 13]]); await ctl.complete(null); },
  });
  t.after(() => fake.close());
  await failed;
  await fake.conn.closed;
  assert.deepEqual(fake.prints, []);
});

test('a worker that does not implement print still attaches', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({ url: h.url, name: 'w', password: 'p', withoutPrint: true });
  t.after(() => fake.close());
  const worker = await attached;
  assert.equal(worker.name, 'w');
  assert.equal(h.manager.getWorker('w'), worker);
});
