/**
 * Failed-login limits on a real master process: guessing at an account never locks it out. Wrong
 * passwords for one user name, sent from several addresses until the name is over its limit, leave
 * the right password working from another address — for the web login, HTTP Basic on the API, and
 * a change hook Basic account. On the worker port, a host that keeps failing logins (wrong
 * passwords for another worker, unknown names, no credentials) does not keep a worker with the
 * right credentials from the same address out. Addresses are 127.0.0.0/8 loopback addresses.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { basicAuth, requestFrom } from './support/web-client.js';
import { UsersStore } from '../packages/master/src/www/auth/users-store.js';
import { configSource } from './support/config.js';

const BURST = 3;

const config = configSource({ burst: BURST }, (m, v) => m.defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
  www: {
    port: 0, host: '127.0.0.1', changeHooks: { base: {} },
    auth: { loginBurst: v.burst, loginRefillPerSecond: 0.001 },
    authz: { anonymousView: false },
    changeHookAuth: [{ username: 'hook', password: 'hook-password' }],
  },
  workers: [m.worker('w0', 'w0-password'), m.worker('w1', 'w1-password')],
  builders: [m.builder({ name: 'b', workerNames: ['w0'], steps: [m.steps.shell({ command: ['true'] })] })],
}));

/**
 * The status of a worker-port upgrade with these headers (the guesser's side: never accepted here);
 * 0 when no HTTP answer came (a guess this test process sent late, stalled by its own synchronous
 * `create-worker`, is taken for a PB client by the shared port and answered after its greeting).
 */
function upgradeStatus(port: number, headers: Record<string, string>): Promise<number> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers, localAddress: '127.0.0.1' });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => { res.resume(); ws.terminate(); resolve(res.statusCode ?? 0); });
    ws.once('open', () => { ws.terminate(); reject(new Error('the guess was accepted')); });
    ws.once('error', () => resolve(0));
  });
}

describe('failed-login limits never lock out the right credentials', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let base = '';

  before(async () => {
    env = new TestEnv();
    const store = new UsersStore(env.masterDir);
    await store.add('alice', 'alice-password', ['admin']);
    await store.add('bob', 'bob-password', []);
    env.writeConfig(config);
    master = await env.startMaster();
    base = `http://127.0.0.1:${master.ready.httpPort}`;
  });
  after(() => env.cleanup());

  /** BURST + 1 wrong guesses, each from its own address so only the per-name limit can trip; the last is over it. */
  async function guessFromManyAddresses(net: string, send: (addr: string, password: string) => Promise<{ status: number; retryAfter?: string }>) {
    const statuses: number[] = [];
    let last: { status: number; retryAfter?: string } = { status: 0 };
    for (let i = 0; i <= BURST; i++) { last = await send(`${net}.${i + 1}`, `wrong-${i}`); statuses.push(last.status); }
    assert.deepEqual(statuses, [...Array(BURST).fill(401), 429], 'the name is over its limit: wrong passwords are answered 429');
    assert.ok(Number(last.retryAfter) > 0);
  }

  it('the web login accepts the right password of a user other addresses guessed at', async () => {
    const login = (addr: string, password: string) => requestFrom(addr, `${base}/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password }),
    });
    await guessFromManyAddresses('127.0.10', login);
    const right = await login('127.0.10.100', 'alice-password');
    assert.equal(right.status, 200, right.text);
  });

  it('HTTP Basic on the API accepts the right password of a user other addresses guessed at', async () => {
    const api = (addr: string, password: string) => requestFrom(addr, `${base}/api/v2/builders`, { headers: basicAuth('bob', password) });
    await guessFromManyAddresses('127.0.11', api);
    const right = await api('127.0.11.100', 'bob-password');
    assert.equal(right.status, 200, right.text);
  });

  it('a change hook Basic account accepts its right password after other addresses guessed at it', async () => {
    const hook = (addr: string, password: string) => requestFrom(addr, `${base}/change_hook/base`, {
      method: 'POST', headers: { ...basicAuth('hook', password), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ author: 'Ada <ada@example.org>', revision: `r-${password}` }).toString(),
    });
    await guessFromManyAddresses('127.0.12', hook);
    const right = await hook('127.0.12.100', 'hook-password');
    assert.equal(right.status, 200, right.text);
    assert.equal(right.text, '1 change found');
  });

  it('a worker with the right credentials attaches from the address of a host that keeps failing logins', async () => {
    const port = master.ready.workerPort;
    const auth = (name: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}` });
    // The bad host keeps trying all the while, so it takes every try its address gets back.
    const bad = [(i: number) => auth('w1', `wrong-${i}`), (i: number) => auth(`nobody-${i}`, 'x'), () => ({})];
    const statuses: number[] = [];
    let attached = false;
    const guessing = (async () => {
      for (let i = 0; !attached; i++) statuses.push(await upgradeStatus(port, bad[i % bad.length]!(i)));
    })();
    try {
      await waitUntil(() => statuses.includes(429), 'the guessing host to be limited');
      env.startWorker('w0', port, 'mastro-worker', 'w0-password');
      await waitUntil(async () => {
        const [w] = await master.get(['workers', 'w0']);
        return w?.connected_to?.length > 0;
      }, "w0 to attach from the guesser's address");
    } finally {
      attached = true;
      await guessing;
    }
    assert.ok(statuses.filter((s) => s === 429).length > 1, `the guessing host stays limited: ${statuses.length} tries`);
  });
});
