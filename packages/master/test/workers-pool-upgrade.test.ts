import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CloseCodes, basicAuthHeader } from 'mastro-protocol';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';
import { poolLoginHeaders as asPool, upgradeAnswer as upgrade } from '../../../test/support/workers-upgrade.js';

const TOKEN = 'linux-token-0123456789abcdef';
const NEXT = 'linux-token-next-0123456789ab';
const pools = [{ name: 'linux', tokens: [TOKEN], maxWorkers: 10 }, { name: 'mac', tokens: ['mac-token-0123456789abcdef'], maxWorkers: 10 }];


test('a pool worker with a token of its pool attaches as POOL/NAME, and the 101 echoes X-Mastro-Pool', async (t) => {
  const h = await startHarness({ pools });
  t.after(() => h.close());
  const attached = h.nextAttached('linux/host-1');
  const fake = await connectFakeWorker({ url: h.url, name: 'host-1', password: TOKEN, headers: { 'X-Mastro-Pool': 'linux' } });
  t.after(() => fake.close());
  assert.equal((await attached).name, 'linux/host-1');
  assert.equal(h.manager.poolMembers('linux'), 1);
  const answer = await upgrade(h.url, asPool('linux', 'host-2', TOKEN));
  assert.equal(answer.status, 101);
  assert.equal(answer.headers['x-mastro-pool'], 'linux');
});

test('X-Mastro-Pool that is no pool name, sent twice, or with a worker name holding a slash is answered 400, echoing the header', async (t) => {
  const h = await startHarness({ pools });
  t.after(() => h.close());
  const bad = await upgrade(h.url, asPool('no/such', 'host', TOKEN));
  assert.equal(bad.status, 400);
  assert.match(bad.body, /pool name "no\/such" is not valid/);
  assert.equal(bad.headers['x-mastro-pool'], 'no/such');
  const twice = await upgrade(h.url, { Authorization: basicAuthHeader('host', TOKEN), 'X-Mastro-Pool': ['linux', 'mac'] });
  assert.equal(twice.status, 400);
  assert.match(twice.body, /sent 2 times; send it once/);
  assert.equal(twice.headers['x-mastro-pool'], 'linux');
  const name = await upgrade(h.url, asPool('linux', 'a.b c', TOKEN));
  assert.equal(name.status, 400);
  assert.match(name.body, /worker name "a\.b c" is not valid/);
  assert.equal(h.manager.workers.length, 0);
});

test('an unknown pool and a wrong token get one 401 text; failed logins are limited per address and pool', async (t) => {
  const h = await startHarness({ pools, loginRateLimit: { burst: 3, refillPerSecond: 0.001 } });
  t.after(() => h.close());
  const unknown = await upgrade(h.url, asPool('nosuch', 'host', TOKEN));
  const wrong = await upgrade(h.url, asPool('linux', 'host', 'wrong-token-0123456789'));
  assert.equal(unknown.status, 401);
  assert.equal(wrong.status, 401);
  assert.equal(unknown.body.replace('nosuch', 'P'), wrong.body.replace('linux', 'P'));
  assert.equal(wrong.headers['x-mastro-pool'], 'linux');
  for (let i = 0; i < 2; i++) assert.equal((await upgrade(h.url, asPool('linux', `h${i}`, `guess-${i}-0123456789abcdef`))).status, 401);
  const limited = await upgrade(h.url, asPool('linux', 'host', TOKEN));
  assert.equal(limited.status, 429, 'even the right token waits once the address used up its tries for the pool');
  assert.ok(Number(limited.headers['retry-after']) >= 1);
  assert.equal(limited.headers['x-mastro-pool'], 'linux');
  // Another pool from the same address has tries of its own.
  assert.equal((await upgrade(h.url, asPool('mac', 'host', 'mac-token-0123456789abcdef'))).status, 101);
});

test('a full pool answers 503 with Retry-After; a place comes back when its connection closes, and a restarted host gets its own back at once', async (t) => {
  const h = await startHarness({ pools: [{ name: 'linux', tokens: [TOKEN], maxWorkers: 2 }], duplicatePingTimeoutMs: 200 });
  t.after(() => h.close());
  const attachedA = h.nextAttached('linux/a');
  const attachedB = h.nextAttached('linux/b');
  const a = await connectFakeWorker({ url: h.url, name: 'a', password: TOKEN, headers: { 'X-Mastro-Pool': 'linux' } });
  const b = await connectFakeWorker({ url: h.url, name: 'b', password: TOKEN, headers: { 'X-Mastro-Pool': 'linux' } });
  t.after(() => b.close());
  await Promise.all([attachedA, attachedB]);
  const full = await upgrade(h.url, asPool('linux', 'c', TOKEN));
  assert.equal(full.status, 503);
  assert.match(full.body, /worker pool 'linux' is full: its maxWorkers \(2\) workers are attached; 'linux\/c' retries later \(raise maxWorkers/);
  assert.ok(Number(full.headers['retry-after']) >= 1);
  assert.equal(full.headers['x-mastro-pool'], 'linux');
  // The host of `a` restarts while its old connection hangs: the pool is full, but the name is in it.
  a.freeze();
  const closed = new Promise<number>((resolve) => a.ws.once('close', (code) => resolve(code)));
  const oldGone = h.nextDetached('linux/a');
  const replaced = h.nextAttached('linux/a');
  const a2 = await connectFakeWorker({ url: h.url, name: 'a', password: TOKEN, headers: { 'X-Mastro-Pool': 'linux' } });
  t.after(() => a2.close());
  await oldGone;
  await replaced;
  assert.equal(await closed, CloseCodes.REPLACED);
  assert.equal(h.manager.poolMembers('linux'), 2);
  const bGone = h.nextDetached('linux/b');
  await b.close();
  await bGone;
  // The place is given back with the TCP connection, which may outlive the 'detached' event by a moment.
  for (let i = 0; h.manager.poolMembers('linux') > 1; i++) await new Promise((r) => setImmediate(r));
  assert.equal((await upgrade(h.url, asPool('linux', 'c', TOKEN))).status, 101);
});

test('a reconfig that removes a token disconnects the workers that joined with it, and removing a pool disconnects all of its own', async (t) => {
  const h = await startHarness({ pools: [{ name: 'linux', tokens: [TOKEN, NEXT], maxWorkers: 10 }, pools[1]!] });
  t.after(() => h.close());
  const join = async (pool: string, name: string, token: string) => {
    const attached = h.nextAttached(`${pool}/${name}`);
    const fake = await connectFakeWorker({ url: h.url, name, password: token, headers: { 'X-Mastro-Pool': pool } });
    t.after(() => fake.close());
    await attached;
    return fake;
  };
  const old = await join('linux', 'old', TOKEN);
  await join('linux', 'new', NEXT);
  const mac = await join('mac', 'm1', 'mac-token-0123456789abcdef');
  const oldClosed = new Promise<[number, string]>((resolve) => old.ws.once('close', (code, reason) => resolve([code, reason.toString()])));
  const oldDetached = h.nextDetached('linux/old');
  h.manager.setPools([{ name: 'linux', tokens: [NEXT], maxWorkers: 10 }, pools[1]!]);
  const [code, reason] = await oldClosed;
  await oldDetached;
  assert.equal(code, CloseCodes.POLICY_VIOLATION);
  assert.match(reason, /the token it joined pool 'linux' with was removed from the master configuration/);
  assert.deepEqual(h.manager.workers.map((w) => w.name).sort(), ['linux/new', 'mac/m1']);
  assert.equal((await upgrade(h.url, asPool('linux', 'old', TOKEN))).status, 401, 'the old token is refused from now on');
  const macClosed = new Promise<string>((resolve) => mac.ws.once('close', (_code, r) => resolve(r.toString())));
  const macDetached = h.nextDetached('mac/m1');
  h.manager.setPools([{ name: 'linux', tokens: [NEXT], maxWorkers: 10 }]);
  assert.match(await macClosed, /pool 'mac' was removed from the master configuration/);
  await macDetached;
  assert.deepEqual(h.manager.workers.map((w) => w.name), ['linux/new']);
});

test('a named worker login is untouched by pools: X-Mastro-Pool absent, the name and password are a configured worker\'s', async (t) => {
  const h = await startHarness({ workers: [{ name: 'w1', password: 's3cret' }], pools });
  t.after(() => h.close());
  const answer = await upgrade(h.url, { Authorization: basicAuthHeader('w1', 's3cret') });
  assert.equal(answer.status, 101);
  assert.equal(answer.headers['x-mastro-pool'], undefined, 'no echo for a named login');
  assert.equal((await upgrade(h.url, { Authorization: basicAuthHeader('host', TOKEN) })).status, 401, 'a pool token is no named worker password');
});
