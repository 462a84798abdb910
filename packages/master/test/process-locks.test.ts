import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LockRegistry, locks, LockCancelledError, type LockHandle } from '../src/process/locks.js';

/** Resolves to the acquisition order of promises that settle. */
function track(order: string[], name: string, p: Promise<LockHandle>): Promise<LockHandle> {
  return p.then((h) => { order.push(name); return h; });
}
const tick = () => new Promise((r) => setImmediate(r));

test('counting access admits up to maxCount holders and exclusive access waits for all of them', async () => {
  const reg = new LockRegistry();
  const l = locks.master('db', { maxCount: 2 });
  const order: string[] = [];
  const a = await track(order, 'a', reg.acquire('a', [l.access('counting')], null));
  const b = await track(order, 'b', reg.acquire('b', [l.access('counting')], null));
  const x = track(order, 'x', reg.acquire('x', [l.access('exclusive')], null));
  await tick();
  assert.deepEqual(order, ['a', 'b']);
  a.release();
  await tick();
  assert.deepEqual(order, ['a', 'b'], 'exclusive still waits for b');
  b.release();
  (await x).release();
  assert.deepEqual(order, ['a', 'b', 'x']);
});

test('an exclusive waiter is not starved by a stream of counting requests', async () => {
  const reg = new LockRegistry();
  const l = locks.master('res', { maxCount: 3 });
  const order: string[] = [];
  const first = await reg.acquire('c0', [l.access('counting')], null);
  const ex = track(order, 'ex', reg.acquire('ex', [l.access('exclusive')], null));
  // Capacity is free for these counting requests, but they arrived after the exclusive waiter.
  const later = [1, 2, 3].map((i) => track(order, `c${i}`, reg.acquire(`c${i}`, [l.access('counting')], null)));
  await tick();
  assert.deepEqual(order, []);
  assert.equal(reg.blockingLock([l.access('counting')], null)?.name, 'res');
  first.release();
  const exHandle = await ex;
  await tick();
  assert.deepEqual(order, ['ex']);
  exHandle.release();
  for (const h of await Promise.all(later)) h.release();
  assert.deepEqual(order, ['ex', 'c1', 'c2', 'c3']);
});

test('locks wanted together are acquired atomically so crossed orders cannot deadlock', async () => {
  const reg = new LockRegistry();
  const A = locks.master('A');
  const B = locks.master('B');
  const holdA = await reg.acquire('h', [A.access('exclusive')], null);
  const order: string[] = [];
  const p1 = track(order, 'AB', reg.acquire('AB', [A.access('exclusive'), B.access('exclusive')], null));
  const p2 = track(order, 'BA', reg.acquire('BA', [B.access('exclusive'), A.access('exclusive')], null));
  await tick();
  // AB waits for A and holds nothing, so B is not taken behind anyone's back; BA queues behind AB.
  assert.deepEqual(order, []);
  assert.deepEqual(reg.describe().find((s) => s.name === 'B')!.holders, []);
  holdA.release();
  (await p1).release();
  (await p2).release();
  assert.deepEqual(order, ['AB', 'BA']);
  assert.deepEqual(reg.describe(), []);
});

test('worker locks count per worker and honour maxCountForWorker', async () => {
  const reg = new LockRegistry();
  const wl = locks.worker('compile', { maxCount: 1, maxCountForWorker: { big: 2 } });
  const h1 = await reg.acquire('b1', [wl.access('counting')], 'w0');
  assert.equal(reg.isAvailable([wl.access('counting')], 'w0'), false);
  assert.equal(reg.isAvailable([wl.access('counting')], 'w1'), true, 'another worker has its own lock');
  const h2 = await reg.acquire('b2', [wl.access('counting')], 'big');
  const h3 = await reg.acquire('b3', [wl.access('counting')], 'big');
  assert.equal(reg.isAvailable([wl.access('counting')], 'big'), false);
  const state = reg.describe().find((s) => s.workerName === 'big')!;
  assert.equal(state.maxCount, 2);
  assert.deepEqual(state.holders.map((h) => h.owner).sort(), ['b2', 'b3']);
  for (const h of [h1, h2, h3]) h.release();
});

test('build locks and step locks across several workers: a master lock limits the whole fleet', async () => {
  const reg = new LockRegistry();
  const fleet = locks.master('deploy', { maxCount: 2 });
  const perWorker = locks.worker('disk', { maxCount: 1 });
  let running = 0;
  let maxRunning = 0;
  const runBuild = async (id: string, worker: string) => {
    const build = await reg.acquire(id, [perWorker.access('counting')], worker);
    const step = await reg.acquire(`${id}/step`, [fleet.access('counting')], worker);
    running++; maxRunning = Math.max(maxRunning, running);
    await tick();
    running--;
    step.release();
    build.release();
  };
  await Promise.all(['w0', 'w1', 'w2', 'w3'].flatMap((w) => [runBuild(`${w}-a`, w), runBuild(`${w}-b`, w)]));
  assert.equal(maxRunning, 2);
  assert.deepEqual(reg.describe(), []);
});

test('a waiter can be cancelled and the ones behind it move on', async () => {
  const reg = new LockRegistry();
  const l = locks.master('x');
  const held = await reg.acquire('a', [l.access('exclusive')], null);
  const ac = new AbortController();
  const cancelled = reg.acquire('b', [l.access('exclusive')], null, ac.signal);
  const after = reg.acquire('c', [l.access('exclusive')], null);
  ac.abort('build stopped');
  await assert.rejects(cancelled, LockCancelledError);
  held.release();
  (await after).release();
  assert.equal(reg.waitingCount, 0);
});

test('lock factories refuse impossible settings with a message naming the lock', () => {
  assert.throws(() => locks.master('m', { maxCount: 0 }), /lock 'm': maxCount must be a positive integer/);
  assert.throws(() => locks.master('m').access('shared' as any), /'counting' or 'exclusive'/);
  const reg = new LockRegistry();
  assert.throws(() => reg.acquire('o', [locks.master('m', { maxCount: 2 }).access('counting', { count: 3 })], null), /can never fit/);
});
