import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { connect } from 'node:net';
import { openDatabase, type Db } from '../src/db/index.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { DataConnector } from '../src/data/connector.js';
import { createHttpServer, type HttpServer } from '../src/www/index.js';
import { UsersStore } from '../src/www/auth/users-store.js';
import { ForceScheduler } from '../src/schedulers/force.js';
import type { MasterControl } from '../src/process/master-control.js';
import { CLOSE_SLOW_CONSUMER } from '../src/www/ws/server.js';
import { webLogin, webLogout } from '../../../test/support/web-client.js';

/** A /ws client that queues frames so a test can wait for the one it expects. */
class Client {
  readonly frames: any[] = [];
  private waiters: Array<() => void> = [];
  private nextId = 1;
  closed: Promise<{ code: number; reason: string }>;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => { this.frames.push(JSON.parse(d.toString())); for (const w of this.waiters.splice(0)) w(); });
    this.closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  }
  static open(url: string, headers: Record<string, string> = {}): Promise<Client> {
    const ws = new WebSocket(url, { headers });
    return new Promise((resolve, reject) => { ws.once('open', () => resolve(new Client(ws))); ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode }))); ws.once('error', reject); });
  }
  async next(pred: (f: any) => boolean, what: string): Promise<any> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames).slice(0, 500)}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 200); });
    }
  }
  async cmd(msg: Record<string, unknown>): Promise<any> {
    const _id = this.nextId++;
    this.ws.send(JSON.stringify({ ...msg, _id }));
    return this.next((f) => f._id === _id, `answer to ${JSON.stringify(msg)}`);
  }
}

describe('/ws: Buildbot event protocol, control and limits', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-ws-'));
  let db: Db; let data: DataConnector; let server: HttpServer; let url: string; let builderid: number;
  const clients: Client[] = [];
  const open = async (headers: Record<string, string> = {}) => { const c = await Client.open(url, headers); clients.push(c); return c; };
  const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });

  before(async () => {
    const store = new UsersStore(dir);
    await store.add('dev', 'dev-password', ['developer']);
    db = await openDatabase('sqlite::memory:');
    const mq = new InProcessMessageQueue();
    data = new DataConnector(db, mq);
    const masterid = await data.updates.masterActive('m');
    builderid = await data.updates.findBuilderId('runtests');
    await data.updates.updateBuilderList(masterid, ['runtests']);
    const force = new ForceScheduler({ name: 'force', builderNames: ['runtests'] }, { mq, updates: data.updates, reads: data, masterid });
    await force.start();
    const notHere = () => { throw new Error('not part of this test'); };
    const target: MasterControl = {
      masterid, forceSchedulers: () => [force], stopBuild: notHere, rebuild: notHere, setWorkerPaused: notHere,
      shutdownWorkerGracefully: notHere, killWorker: notHere, stopMaster: notHere, reconfig: notHere,
    };
    server = await createHttpServer({
      data, port: 0, host: '127.0.0.1', masterDir: dir, control: target,
      authz: { rules: [{ actions: ['force', 'cancel'], roles: ['developer'] }, { actions: ['view'], roles: ['authenticated'] }] },
      ws: { maxSubscriptions: 3, maxBufferedBytes: 256 * 1024 },
    });
    url = `ws://127.0.0.1:${server.port}/ws`;
  });
  after(async () => {
    for (const c of clients) c.ws.terminate();
    await server.close(); await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('startConsuming is acknowledged and matching events arrive as {k, m} with * wildcards', async () => {
    const c = await open();
    assert.deepEqual(await c.cmd({ cmd: 'startConsuming', path: 'buildsets/*/new' }), { msg: 'OK', code: 200, _id: 1 });
    assert.equal((await c.cmd({ cmd: 'startConsuming', path: 'buildrequests/*/*' })).code, 200);
    const { bsid, brids } = await data.updates.addBuildset({ scheduler: 's', reason: 'ws test', builderids: [builderid], sourcestamps: [] });
    const bs = await c.next((f) => f.k === `buildsets/${bsid}/new`, 'buildset new');
    assert.equal(bs.m.bsid, bsid);
    assert.equal(bs.m.reason, 'ws test');
    const br = await c.next((f) => f.k === `buildrequests/${brids[builderid]}/new`, 'buildrequest new');
    assert.equal(br.m.buildrequestid, brids[builderid]);
    // A path of another length does not match: no builders/<id>/buildrequests/<id>/new for 'buildrequests/*/*'.
    assert.ok(!c.frames.some((f) => f.k?.startsWith('builders/')));
  });

  test('stopConsuming ends the events; stopping an unconsumed path is a 400; ping answers pong', async () => {
    const c = await open();
    await c.cmd({ cmd: 'startConsuming', path: 'changes/*/new' });
    assert.equal((await c.cmd({ cmd: 'stopConsuming', path: 'changes/*/new' })).code, 200);
    const again = await c.cmd({ cmd: 'stopConsuming', path: 'changes/*/new' });
    assert.equal(again.code, 400);
    assert.match(again.error, /not consumed/);
    await data.updates.addChange({ author: 'a', comments: 'x' });
    assert.deepEqual(await c.cmd({ cmd: 'ping' }), { msg: 'pong', code: 200, _id: 4 });
    assert.ok(!c.frames.some((f) => f.k?.startsWith('changes/')));
    assert.equal((await c.cmd({ cmd: 'frobnicate' })).code, 404);
  });

  test('log lines stream as logs/<id>/append events', async () => {
    const c = await open();
    const { brids } = await data.updates.addBuildset({ scheduler: 's', reason: 'log', builderids: [builderid], sourcestamps: [] });
    await data.updates.claimBuildRequests([brids[builderid]!]);
    const workerid = await data.updates.findWorkerId('w');
    const { buildid } = await data.updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid: 1, state_string: 'building' });
    const { stepid } = await data.updates.addStep({ buildid, name: 'compile' });
    const logid = await data.updates.addLog({ stepid, name: 'stdio', type: 's' });
    await c.cmd({ cmd: 'startConsuming', path: `logs/${logid}/append` });
    await data.updates.appendLog(logid, 'hello\nworld\n', 'o');
    const ev = await c.next((f) => f.k === `logs/${logid}/append`, 'log append');
    assert.equal(ev.m.logid, logid);
    assert.equal(ev.m.firstline, 0);
    assert.match(ev.m.content, /hello\n.*world\n/s);
  });

  test('subscriptions per connection are limited', async () => {
    const c = await open();
    for (const p of ['builds/*/new', 'builds/*/finished', 'steps/*/new']) assert.equal((await c.cmd({ cmd: 'startConsuming', path: p })).code, 200);
    // Re-subscribing to a consumed path is fine; a fourth path is not.
    assert.equal((await c.cmd({ cmd: 'startConsuming', path: 'builds/*/new' })).code, 200);
    const over = await c.cmd({ cmd: 'startConsuming', path: 'logs/*/append' });
    assert.equal(over.code, 429);
    assert.match(over.error, /limit 3/);
  });

  test('a consumer that does not read is dropped with close code 4008 once its buffer is over the limit', async () => {
    const c = await open();
    await c.cmd({ cmd: 'startConsuming', path: 'changes/*/new' });
    // Stop reading from the socket: the server's send buffer fills up.
    (c.ws as any)._socket.pause();
    const big = 'x'.repeat(60 * 1024);
    for (let i = 0; i < 200; i++) {
      await data.updates.addChange({ author: 'a', comments: big });
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    (c.ws as any)._socket.resume();
    const { code, reason } = await c.closed;
    assert.equal(code, CLOSE_SLOW_CONSUMER);
    assert.match(reason, /slow consumer/);
  });

  test('control over /ws: force with the logged-in user as owner; anonymous gets 401', async () => {
    const anon = await open();
    const denied = await anon.cmd({ cmd: 'control', path: 'forceschedulers/force', method: 'force', params: { reason: 'try' } });
    assert.equal(denied.code, 401);
    assert.equal(denied.jsonrpc_code, -32600);
    const dev = await open(basic('dev', 'dev-password'));
    await dev.cmd({ cmd: 'startConsuming', path: 'buildsets/*/new' });
    const ok = await dev.cmd({ cmd: 'control', path: 'forceschedulers/force', method: 'force', params: { reason: 'from ws', builderid } });
    assert.equal(ok.code, 200);
    const [bsid, brids] = ok.result;
    const ev = await dev.next((f) => f.k === `buildsets/${bsid}/new`, 'forced buildset');
    assert.equal(ev.m.reason, "A build was forced by 'dev': from ws");
    const cancel = await dev.cmd({ cmd: 'control', path: `buildrequests/${brids[builderid]}`, method: 'cancel', params: {} });
    assert.equal(cancel.code, 200);
    const bad = await dev.cmd({ cmd: 'control', path: 'forceschedulers/force', method: 'explode' });
    assert.equal(bad.code, 501);
    assert.equal(bad.jsonrpc_code, -32601);
  });

  test('each command is judged on the credentials in force now, not those of the upgrade', async () => {
    const force = { cmd: 'control', path: 'forceschedulers/force', method: 'force', params: { reason: 'still allowed?', builderid } };
    const store = new UsersStore(dir);

    // A browser session: after the logout the open connection is anonymous.
    const base = `http://127.0.0.1:${server.port}`;
    const s = await webLogin(base, 'dev', 'dev-password');
    const browser = await open({ cookie: s.cookie });
    assert.equal((await browser.cmd(force)).code, 200);
    assert.equal(await webLogout(base, s), 200);
    assert.equal((await browser.cmd(force)).code, 401);

    // An API token revoked while its connection is open.
    const { id, token } = await store.createToken('dev');
    const script = await open({ authorization: `Bearer ${token}` });
    assert.equal((await script.cmd(force)).code, 200);
    await store.revokeToken('dev', id);
    assert.equal((await script.cmd(force)).code, 401);

    // Basic credentials: a role taken away in users.json, then the user removed.
    await store.add('temp', 'temp-password', ['developer']);
    const cli = await open(basic('temp', 'temp-password'));
    assert.equal((await cli.cmd(force)).code, 200);
    await store.add('temp', null, ['viewer']);
    assert.equal((await cli.cmd(force)).code, 403);
    await store.add('temp', null, ['developer']);
    assert.equal((await cli.cmd(force)).code, 200, 'the role given back counts at once');
    await store.remove('temp');
    assert.equal((await cli.cmd(force)).code, 401);
  });

  test('answers keep the order of the frames sent back to back', async () => {
    const c = await open();
    for (let i = 1; i <= 20; i++) c.ws.send(JSON.stringify({ cmd: i % 2 ? 'startConsuming' : 'stopConsuming', path: 'changes/*/new', _id: i }));
    await c.next((f) => f._id === 20, 'the last answer');
    const answers = c.frames.filter((f) => typeof f._id === 'number').map((f) => [f._id, f.code]);
    assert.deepEqual(answers, Array.from({ length: 19 }, (_, i) => [i + 1, 200]));
  });

  test('upgrades with bad credentials or from another origin are refused', async () => {
    await assert.rejects(Client.open(url, basic('dev', 'wrong-password')), (e: any) => e.status === 401);
    await assert.rejects(Client.open(url, { origin: 'http://evil.example' }), (e: any) => e.status === 403);
    const same = await open({ origin: `http://127.0.0.1:${server.port}` });
    // A same-origin page may connect; anonymousView defaults to true, so it may consume.
    assert.equal((await same.cmd({ cmd: 'startConsuming', path: 'builds/*/*' })).code, 200);
  });
  test('an upgrade request whose target is not a valid URL gets a 400 and the server keeps serving', async () => {
    // `GET http://[/ws`: Node's HTTP parser lets it through, the URL parser throws on it.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.write('GET http://[/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      });
      let text = '';
      socket.on('data', (d) => { text += d.toString(); });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /not a valid URL/);
    const c = await open();
    assert.equal((await c.cmd({ cmd: 'ping' })).msg, 'pong');
  });
  test('a client that resets its connection before its upgrade is answered costs nothing but that connection', async () => {
    // The refusal is written to a socket the peer already reset: that write error must not escape.
    const escaped: Error[] = [];
    const onEscape = (err: Error) => { escaped.push(err); };
    const openSockets = () => new Promise<number>((resolve) => server.app.server.getConnections((_e, n) => resolve(n)));
    const before = await openSockets();
    process.on('uncaughtException', onEscape);
    try {
      for (let i = 0; i < 20; i++) {
        await new Promise<void>((resolve) => {
          const socket = connect(server.port, '127.0.0.1', () => {
            socket.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Basic ${Buffer.from('dev:wrong').toString('base64')}\r\n\r\n`, () => socket.resetAndDestroy());
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve());
        });
      }
      // Each refusal is written once its login check failed; the server then drops the socket.
      const deadline = Date.now() + 30_000;
      while ((await openSockets()) > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    } finally {
      process.off('uncaughtException', onEscape);
    }
    assert.deepEqual(escaped.map((e) => e.message), []);
    const c = await open();
    assert.equal((await c.cmd({ cmd: 'ping' })).msg, 'pong');
  });
});
