import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';

const workers = [{ name: 'w1', password: 's3cret' }, { name: 'w2', password: 'other' }];

function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(url, { headers });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => { res.resume(); ws.terminate(); resolve(res.statusCode ?? 0); });
    ws.once('open', () => { ws.terminate(); reject(new Error('upgrade was accepted')); });
    ws.once('error', () => {});
  });
}

async function refusal(url: string, name: string, password: string): Promise<{ statusCode: number; headers: Record<string, unknown> }> {
  try {
    const fake = await connectFakeWorker({ url, name, password });
    await fake.close();
  } catch (err) {
    return err as { statusCode: number; headers: Record<string, unknown> };
  }
  assert.fail(`login of ${name} was accepted`);
}

test('a configured worker with the right password attaches, reports its info and gets its settings and builder dirs', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  await h.manager.setBuilderList('w1', ['runtests', { name: 'odd name/x', builddir: 'odd' }]);
  const attached = h.nextAttached('w1');
  const fake = await connectFakeWorker({ url: h.url, name: 'w1', password: 's3cret', basedir: '/srv/w1' });
  t.after(() => fake.close());
  const worker = await attached;
  assert.equal(worker.name, 'w1');
  assert.equal(worker.info.basedir, '/srv/w1');
  assert.equal(worker.info.admin, 'Test Admin <t@example.org>');
  assert.equal(worker.pathFlavour, 'posix');
  assert.equal(worker.remoteAddress, '127.0.0.1');
  assert.deepEqual(Object.keys(fake.settings as object).sort(), ['buffer_size', 'buffer_timeout', 'mastro_output_bytes', 'max_line_length', 'newline_re']);
  assert.deepEqual(fake.commands.map((c) => c.command), ['listdir', 'mkdir']);
  assert.deepEqual(fake.commands[0]!.args, { path: '/srv/w1' });
  assert.deepEqual(fake.commands[1]!.args, { paths: ['/srv/w1/info', '/srv/w1/odd', '/srv/w1/runtests'] });
  assert.equal(worker.builderBasedir('runtests'), '/srv/w1/runtests');
  assert.deepEqual(worker.builderNames, ['runtests', 'odd name/x']);
  assert.equal(h.manager.getWorker('w1'), worker);
  assert.equal(await worker.ping(1000), true);
});

test('a wrong password is refused with 401 before any WebSocket exists', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const err = await refusal(h.url, 'w1', 'wrong');
  assert.equal(err.statusCode, 401);
  assert.match(String(err.headers['www-authenticate']), /^Basic/);
  assert.equal(h.manager.workers.length, 0);
});

test('an unknown worker name, a missing Authorization header and a malformed one are refused', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  assert.equal((await refusal(h.url, 'nobody', 's3cret')).statusCode, 401);
  assert.equal(await upgradeStatus(h.url, {}), 401);
  assert.equal(await upgradeStatus(h.url, { Authorization: 'Bearer abc' }), 400);
  // A plain GET (no upgrade) says what the port is for.
  const plain = await fetch(`http://127.0.0.1:${h.port}/`);
  assert.equal(plain.status, 426);
  assert.match(await plain.text(), /WebSocket/);
});

test('repeated failed logins from one address are rate limited with 429, even with the right password', async (t) => {
  const h = await startHarness({ workers, loginRateLimit: { burst: 3, refillPerSecond: 0.01 } });
  t.after(() => h.close());
  for (let i = 0; i < 3; i++) assert.equal((await refusal(h.url, 'w1', `guess${i}`)).statusCode, 401);
  const limited = await refusal(h.url, 'w1', 's3cret');
  assert.equal(limited.statusCode, 429);
  assert.ok(Number(limited.headers['retry-after']) >= 1);
});

test('failed logins from one address count per worker name: another worker with the right password from that address attaches', async (t) => {
  const h = await startHarness({ workers, loginRateLimit: { burst: 2, refillPerSecond: 0.001 } });
  t.after(() => h.close());
  for (let i = 0; i < 3; i++) await refusal(h.url, 'w1', `guess${i}`);
  for (let i = 0; i < 3; i++) await refusal(h.url, `nobody${i}`, 'x');
  for (let i = 0; i < 3; i++) await upgradeStatus(h.url, {});
  assert.equal((await refusal(h.url, 'w1', 's3cret')).statusCode, 429, 'the name guessed at is limited from this address');
  assert.equal((await refusal(h.url, 'someone-else', 'x')).statusCode, 429, 'so are names no worker has');
  const attached = h.nextAttached('w2');
  const fake = await connectFakeWorker({ url: h.url, name: 'w2', password: 'other' });
  t.after(() => fake.close());
  await attached;
});

test('successful logins never use up the failed-login budget', async (t) => {
  const h = await startHarness({ workers, loginRateLimit: { burst: 1, refillPerSecond: 0.01 } });
  t.after(() => h.close());
  for (let i = 0; i < 5; i++) {
    const attached = h.nextAttached('w2');
    const fake = await connectFakeWorker({ url: h.url, name: 'w2', password: 'other' });
    await attached;
    const detached = h.nextDetached('w2');
    await fake.close();
    await detached;
  }
});

test('setWorkers removes a worker from the configuration and disconnects it; a new password applies to new logins', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const attached = h.nextAttached('w1');
  const fake = await connectFakeWorker({ url: h.url, name: 'w1', password: 's3cret' });
  await attached;
  const detached = h.nextDetached('w1');
  h.manager.setWorkers([{ name: 'w2', password: 'changed' }]);
  await detached;
  const closed = await fake.conn.closed;
  assert.equal(closed.code, 1000);
  assert.match(closed.reason, /removed from the master configuration/);
  assert.equal((await refusal(h.url, 'w2', 'other')).statusCode, 401);
  const again = h.nextAttached('w2');
  const fake2 = await connectFakeWorker({ url: h.url, name: 'w2', password: 'changed' });
  t.after(() => fake2.close());
  await again;
});

test('setBuilderList on an attached worker creates the new builder directories right away', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const attached = h.nextAttached('w1');
  const fake = await connectFakeWorker({ url: h.url, name: 'w1', password: 's3cret', basedir: '/b' });
  t.after(() => fake.close());
  await attached;
  fake.commands.length = 0;
  await h.manager.setBuilderList('w1', ['later']);
  assert.deepEqual(fake.commands.map((c) => [c.command, c.args]), [['listdir', { path: '/b' }], ['mkdir', { paths: ['/b/info', '/b/later'] }]]);
});

test('a worker that asks for JSON on the upgrade is spoken to in JSON text frames from the first message', async (t) => {
  const h = await startHarness({ workers });
  t.after(() => h.close());
  const attached = h.nextAttached('w1');
  const fake = await connectFakeWorker({ url: h.url, name: 'w1', password: 's3cret', encoding: 'json', headers: { 'X-Mastro-Encoding': 'json' } });
  t.after(() => fake.close());
  await attached;
  assert.ok(fake.frameKinds.length >= 3);
  assert.ok(fake.frameKinds.every((k) => k === 'text'), fake.frameKinds.join(','));
  const plain = await connectFakeWorker({ url: h.url, name: 'w2', password: 'other' });
  t.after(() => plain.close());
  await h.nextAttached('w2');
  assert.equal(plain.frameKinds[0], 'binary', 'without the hint the master starts in msgpack, like Buildbot');
});

test('a JSON worker without the hint that speaks first is answered in JSON from get_worker_info on', async (t) => {
  const h = await startHarness({ workers, firstFrameGraceMs: 2000 });
  t.after(() => h.close());
  const attached = h.nextAttached('w1');
  const fake = await connectFakeWorker({ url: h.url, name: 'w1', password: 's3cret', encoding: 'json', speakFirst: true });
  t.after(() => fake.close());
  await attached;
  assert.ok(fake.frameKinds.every((k) => k === 'text'), fake.frameKinds.join(','));
});
