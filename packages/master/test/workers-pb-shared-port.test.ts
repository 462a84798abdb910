/**
 * The worker port serves PB and WebSocket on one listener by default (workers/pb/shared-port.ts),
 * against a real master: a client that says nothing is greeted as PB after `pb.silenceMs` (PB
 * servers speak first) and closed after `pb.handshakeTimeoutMs` if it still says nothing; an HTTP
 * client that speaks only after that greeting is answered 400 saying why and what to do, and the
 * master log says so too; a client that starts its request at once is an HTTP client (its headers
 * timeout stays: net-connection-limits.test.ts) and a WebSocket worker attaches; `pb: null` or
 * `pb: false` turns PB off, and a PB port of its own makes two listeners. Fuzzed bytes on either
 * side of the greeting close only their own connection.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { get } from 'node:http';
import { pb } from 'mastro-protocol';
import { TestEnv, freePort, hasBuildbotWorker, waitUntil } from '../../../test/support/master-harness.js';
import { startHarness } from './support/workers-harness.js';
import { sniffConnection } from '../src/workers/pb/shared-port.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

interface RawClient { socket: Socket; received(): Buffer; closed: Promise<void>; isClosed(): boolean }

function rawClient(port: number): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {});
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.once('close', () => { isClosed = true; r(); }));
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), closed, isClosed: () => isClosed }));
    socket.once('error', reject);
  });
}

const config = (protocols: string) => `import { defineConfig, worker, builder, steps } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: ${protocols},
  www: { port: 0, host: '127.0.0.1' },
  workers: [worker('w0', 'pass'), worker('w1', 'pass')],
  builders: [builder({ name: 'b', workerNames: ['w0'], steps: [steps.shell({ command: ['true'] })] })],
});
`;

const OFFER = pb.dialectOffer();
const startsWithOffer = (c: RawClient) => c.received().subarray(0, OFFER.length).equals(OFFER);

test('with no protocols.pb in the config, a client that says nothing on the worker port is greeted with the PB dialect offer, and WebSocket and PB workers attach there', { timeout: 120_000 }, async () => {
  const env = new TestEnv();
  try {
    env.writeConfig(config(`{ msgpack: { port: 0, host: '127.0.0.1' } }`));
    const master = await env.startMaster();
    const silent = await rawClient(master.ready.workerPort);
    await waitUntil(() => startsWithOffer(silent), 'the PB greeting', 20_000);
    assert.equal(OFFER.toString('hex'), '02800282706204826e6f6e65', 'the offer is ["pb", "none"], spelled out (PROTOCOL.md §8.1)');
    silent.socket.destroy();

    // A WebSocket worker and a PB worker (Debian's buildbot-worker created without --protocol) both attach on it.
    env.startWorker('w0', master.ready.workerPort);
    if (hasBuildbotWorker()) env.startWorker('w1', master.ready.workerPort, 'buildbot-worker-pb');
    const expected = hasBuildbotWorker() ? ['w0', 'w1'] : ['w0'];
    await waitUntil(async () => {
      const attached = (await master.get(['workers'])).filter((w) => w.connected_to.length > 0).map((w) => w.name).sort();
      return JSON.stringify(attached) === JSON.stringify(expected);
    }, `${expected.join(' and ')} to attach`);
  } finally {
    await env.cleanup();
  }
});

test('a greeted client that never answers is closed after pb.handshakeTimeoutMs', { timeout: 120_000 }, async () => {
  const env = new TestEnv();
  try {
    env.writeConfig(config(`{ msgpack: { port: 0, host: '127.0.0.1' }, pb: { silenceMs: 100, handshakeTimeoutMs: 300 } }`));
    const master = await env.startMaster();
    const silent = await rawClient(master.ready.workerPort);
    await waitUntil(() => silent.isClosed(), 'the silent client to be closed', 20_000);
    assert.ok(startsWithOffer(silent), 'it was greeted first');
    assert.equal(silent.received().length, OFFER.length, 'and told nothing else');
  } finally {
    await env.cleanup();
  }
});

test('an HTTP client that speaks only after the PB greeting is answered 400 with what to do, and the master log says so', { timeout: 120_000 }, async () => {
  const env = new TestEnv();
  try {
    env.writeConfig(config(`{ msgpack: { port: 0, host: '127.0.0.1' }, pb: { silenceMs: 100 } }`));
    const master = await env.startMaster();
    const late = await rawClient(master.ready.workerPort);
    await waitUntil(() => startsWithOffer(late), 'the PB greeting', 20_000);
    late.socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    await waitUntil(() => late.isClosed(), 'the late client to be closed', 20_000);
    const answer = late.received().subarray(OFFER.length).toString('utf8');
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(answer, /sent nothing for 100 ms after connecting, so it was taken for a PB client/);
    assert.match(answer, /Send the request as soon as the connection opens, or raise protocols\.pb\.silenceMs/);
    await waitUntil(() => /taken for a PB client; it was answered 400/.test(master.output), 'the warning in the master log', 20_000);
    assert.match(master.output, /"request":"GET \/ HTTP\/1\.1"/);
  } finally {
    await env.cleanup();
  }
});

for (const off of ['null', 'false']) {
  test(`protocols.pb: ${off} turns PB off: a silent client on the worker port gets the WebSocket side's 408, never a PB greeting`, { timeout: 120_000 }, async () => {
    const env = new TestEnv();
    try {
      env.writeConfig(config(`{ msgpack: { port: 0, host: '127.0.0.1', headersTimeoutMs: 1500 }, pb: ${off} }`));
      const master = await env.startMaster();
      const silent = await rawClient(master.ready.workerPort);
      await waitUntil(() => silent.isClosed(), 'the silent client to be closed', 20_000);
      assert.match(silent.received().toString('latin1'), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    } finally {
      await env.cleanup();
    }
  });
}

test('a PB port other than the WebSocket port makes two listeners: PB on one, WebSocket only on the other', { skip: !hasBuildbotWorker() && 'Debian buildbot-worker is not installed', timeout: 120_000 }, async () => {
  const env = new TestEnv();
  try {
    const pbPort = await freePort();
    env.writeConfig(config(`{ msgpack: { port: 0, host: '127.0.0.1', headersTimeoutMs: 1500 }, pb: { port: ${pbPort} } }`));
    const master = await env.startMaster();
    const onWebSocketPort = await rawClient(master.ready.workerPort);
    await waitUntil(() => onWebSocketPort.isClosed(), 'the silent client on the WebSocket port to be closed', 20_000);
    assert.match(onWebSocketPort.received().toString('latin1'), /^HTTP\/1\.1 408 /, 'the WebSocket port does not greet');
    const onPbPort = await rawClient(pbPort);
    await waitUntil(() => startsWithOffer(onPbPort), 'the PB port to greet at once', 20_000);
    onPbPort.socket.destroy();
    env.startWorker('w0', pbPort, 'buildbot-worker-pb');
    await waitUntil(async () => (await master.get(['workers'])).find((w) => w.connected_to.length > 0), 'w0 to attach over PB on its own port');
  } finally {
    await env.cleanup();
  }
});

const SEED = Number(process.env.MASTRO_FUZZ_SEED ?? 0x5ba7ed);
const CONNECTIONS = Number(process.env.MASTRO_FUZZ_FRAMES ?? 3000) / 25;

test('random, truncated, oversized and HTTP-looking bytes, sent before or after the PB greeting, close only their own connection', { timeout: 300_000 }, async (t) => {
  const rand = seededRandom(SEED);
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const h = await startHarness({ port: 0, workers: [{ name: 'w1', password: 'pass' }], pb: { silenceMs: 30, handshakeTimeoutMs: 2000 } });
  t.after(() => h.close());
  // A logged-in PB client that stays connected through it all.
  await h.manager.pbHost().register({ owner: 'fuzz', port: null, users: [['watcher', { digest: pb.md5Digest('pw'), perspective: () => new pb.Referenceable({ ping: () => 'pong' }) }]] });
  const watcherSocket = connect(h.port, '127.0.0.1');
  const watcher = new pb.Broker(watcherSocket, { role: 'client' });
  t.after(() => { watcher.close('done'); });
  await watcher.ready;
  const perspective = await pb.login(watcher.remoteForName('root'), 'watcher', 'pw');

  const payloads: Array<() => Buffer> = [
    () => Buffer.from(Array.from({ length: 1 + int(200) }, () => int(256))),
    () => Buffer.from(Array.from({ length: 1 + int(80) }, () => 0x80 + int(8))),
    () => pb.encodeBanana(pick<pb.BananaInput>(['pb', 'none', 'xml', ['version', int(9)], ['message', 1, 'root', 'login', 1, ['tuple', ['unicode', 'w1']], ['dictionary']]]), { vocabulary: false }),
    () => Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x7f, pick([0x80, 0x82])]), Buffer.alloc(int(100))]),
    () => Buffer.alloc(70 + int(100), 0x01),
    () => Buffer.from(`${pick(['GET', 'POST', 'PRI', 'G'])} ${pick(['/', '*', ''])} HTTP/1.1\r\n${pick(['', 'Host: x\r\n\r\n', 'Upgrade: websocket\r\n'])}`),
    () => Buffer.from([0x16, 0x03, 0x01, int(256), int(256)]), // a TLS ClientHello's start
  ];
  for (let c = 0; c < CONNECTIONS; c++) {
    const socket = connect(h.port, '127.0.0.1');
    socket.on('error', () => {});
    let received = 0;
    const greeted = new Promise<void>((resolve) => socket.on('data', (d: Buffer) => { received += d.length; if (received >= 12) resolve(); }));
    const closed = once(socket, 'close');
    await once(socket, 'connect');
    // Half speak at once (the HTTP side), half after the greeting (the PB side).
    if (int(2)) await Promise.race([greeted, closed]);
    for (let i = 0, n = 1 + int(4); i < n && !socket.destroyed; i++) socket.write(pick(payloads)());
    const timer = setTimeout(() => socket.end(), 50);
    await closed;
    clearTimeout(timer);
  }
  assert.equal(await perspective.callRemote('ping'), 'pong', 'the logged-in client was not disturbed');
  const worker = connect(h.port, '127.0.0.1');
  const client = new pb.Broker(worker, { role: 'client' });
  t.after(() => { client.close('done'); });
  await client.ready;
  const refused = await pb.login(client.remoteForName('root'), 'w1', 'wrong').then(() => null, (err: Error) => err.message);
  assert.match(refused ?? '', /login refused for w1/, 'the port still serves PB logins');
  const status = await new Promise<number | undefined>((resolve, reject) => get(`http://127.0.0.1:${h.port}/`, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject));
  assert.equal(status, 426, 'and HTTP: anything but a WebSocket upgrade is answered 426');
});

test('a request that arrived in time is HTTP even when the master\'s event loop was stalled past silenceMs', async (t) => {
  const decided: string[] = [];
  let accepted!: () => void;
  const acceptedOnce = new Promise<void>((r) => { accepted = r; });
  const server = createServer((socket) => {
    sniffConnection(socket, { silenceMs: 50, handshakeTimeoutMs: 1000, silenceOption: 'silenceMs' }, {
      http: (s) => { decided.push('http'); s.destroy(); },
      pb: (s) => { decided.push('pb'); s.destroy(); },
      lateHttp: () => decided.push('late http'),
    });
    accepted();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  t.after(() => { client.destroy(); });
  await acceptedOnce;
  client.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  // A loaded master: nothing runs for four times silenceMs, while the request waits to be read.
  const until = Date.now() + 200;
  while (Date.now() < until) { /* stalled */ }
  await waitUntil(() => decided.length > 0, 'the sniff to decide', 5_000);
  assert.deepEqual(decided, ['http']);
});
