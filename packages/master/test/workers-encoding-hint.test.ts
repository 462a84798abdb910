/**
 * The encoding handshake on the master side (PROTOCOL.md, "Choosing the encoding"): a worker names
 * its encoding on the upgrade (header or query) and is spoken to in it from the first message; an
 * unhinted worker is spoken to in msgpack at once. Tests that must not wait for the grace set it to
 * a minute: if the master waited, they would time out instead of attaching.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';
import { WorkerManager } from '../src/workers/index.js';

const workers = [{ name: 'w1', password: 's3cret' }];

test('by default an unhinted worker (Buildbot) is spoken to in msgpack without waiting for it to speak first', async (t) => {
  // The manager's own defaults, not the harness's: the default grace is 0.
  const manager = new WorkerManager({ port: 0, host: '127.0.0.1', workers });
  const { port } = await manager.listen();
  t.after(() => manager.close());
  const attached = new Promise((resolve) => manager.once('attached', resolve));
  const fake = await connectFakeWorker({ url: `ws://127.0.0.1:${port}`, name: 'w1', password: 's3cret' });
  t.after(() => fake.close());
  await attached;
  assert.equal(fake.frameKinds[0], 'binary');
});

test('a worker hinting msgpack skips the first-frame grace even when one is configured', async (t) => {
  const h = await startHarness({ workers, firstFrameGraceMs: 60_000, attachTimeoutMs: 120_000 });
  t.after(() => h.close());
  const attached = h.nextAttached('w1');
  const fake = await connectFakeWorker({ url: h.url, name: 'w1', password: 's3cret', headers: { 'X-Mastro-Encoding': 'msgpack' } });
  t.after(() => fake.close());
  await attached;
  assert.ok(fake.frameKinds.every((k) => k === 'binary'), fake.frameKinds.join(','));
});

test('a worker that cannot set headers asks for JSON with ?encoding=json and gets text frames from the first message', async (t) => {
  const h = await startHarness({ workers, firstFrameGraceMs: 60_000, attachTimeoutMs: 120_000 });
  t.after(() => h.close());
  const attached = h.nextAttached('w1');
  const fake = await connectFakeWorker({ url: `${h.url}/?encoding=json`, name: 'w1', password: 's3cret', encoding: 'json' });
  t.after(() => fake.close());
  await attached;
  assert.ok(fake.frameKinds.length >= 3);
  assert.ok(fake.frameKinds.every((k) => k === 'text'), fake.frameKinds.join(','));
});

test('output as bytes (PROTOCOL.md 3.4) is asked of msgpack workers only, and not at all when turned off', async (t) => {
  const h = await startHarness({ workers: [...workers, { name: 'w2', password: 's3cret' }, { name: 'w3', password: 's3cret' }] });
  t.after(() => h.close());
  const settingsOf = async (name: string, extra: Parameters<typeof connectFakeWorker>[0] extends infer O ? Partial<O> : never, harness = h) => {
    const attached = harness.nextAttached(name);
    const fake = await connectFakeWorker({ url: harness.url, name, password: 's3cret', ...extra });
    t.after(() => fake.close());
    await attached;
    return fake.settings as Record<string, unknown>;
  };
  assert.equal((await settingsOf('w1', {})).mastro_output_bytes, true);
  assert.equal((await settingsOf('w2', { url: `${h.url}/?encoding=json`, encoding: 'json' })).mastro_output_bytes, undefined);
  const off = await startHarness({ workers, workerSettings: { mastro_output_bytes: false } });
  t.after(() => off.close());
  const settings = await settingsOf('w1', { url: off.url }, off);
  assert.equal(settings.mastro_output_bytes, undefined);
  assert.equal(settings.buffer_size, 65536);
});
