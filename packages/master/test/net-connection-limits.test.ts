/**
 * The connection limits of both of a real master's ports (net/connection-limits.ts): one address
 * cannot hold more than its cap of connections, while other clients and workers are still served,
 * and a connection that never sends its request is closed after the headers timeout. The whole
 * 127.0.0.0/8 is loopback on Linux, so "another address" is 127.0.0.2 talking to 127.0.0.1.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { TestEnv, waitUntil } from '../../../test/support/master-harness.js';

interface RawClient { socket: Socket; received(): string; closed: Promise<void>; isClosed(): boolean }

/** A TCP client that sends nothing and records what the server says. */
function idleClient(port: number, localAddress: string): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    let data = '';
    // Reading is what lets the client see the server's FIN; a paused socket would never close.
    socket.on('data', (d) => { data += d.toString('utf8'); });
    socket.on('error', () => {});
    let isClosed = false;
    const closed = new Promise<void>((r) => socket.once('close', () => { isClosed = true; r(); }));
    socket.once('connect', () => resolve({ socket, received: () => data, closed, isClosed: () => isClosed }));
    socket.once('error', reject);
  });
}

/** Waits for the server to close `c` (a deadline, so a server that never does fails the test). */
function closedByServer(c: RawClient, what: string): Promise<boolean> {
  return waitUntil(() => c.isClosed(), what, 20_000);
}

async function closeAll(clients: RawClient[]): Promise<void> {
  for (const c of clients) c.socket.destroy();
  await Promise.all(clients.map((c) => c.closed));
}

/** The first line of a WebSocket upgrade, and no more. */
const STARTED_REQUEST = 'GET / HTTP/1.1\r\n';

const config = (limits: { www: string; msgpack: string }) => `import { defineConfig, worker, builder, steps } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1', ${limits.msgpack} } },
  www: { port: 0, host: '127.0.0.1', ${limits.www} },
  workers: [worker('w0', 'pass')],
  builders: [builder({ name: 'b', workerNames: ['w0'], steps: [steps.shell({ command: ['true'] })] })],
});
`;

test('one address over its cap gets 503 for each extra connection, while a fresh client and a worker are still served', { timeout: 120_000 }, async () => {
  const env = new TestEnv();
  const clients: RawClient[] = [];
  try {
    env.writeConfig(config({ www: 'maxConnectionsPerAddress: 5', msgpack: 'maxConnectionsPerAddress: 3' }));
    const master = await env.startMaster();
    const httpPort = master.ready.httpPort!;
    const workerPort = master.ready.workerPort;

    for (let i = 0; i < 5; i++) clients.push(await idleClient(httpPort, '127.0.0.2'));
    const extra = await idleClient(httpPort, '127.0.0.2');
    await closedByServer(extra, 'the connection over the cap to be refused');
    assert.match(extra.received(), /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    assert.match(extra.received(), /"error":"too many connections from 127\.0\.0\.2: at most 5 at once \(www\.maxConnectionsPerAddress\)/);
    assert.equal(clients.filter((c) => c.socket.destroyed).length, 0, 'the connections within the cap stay open');

    for (let i = 0; i < 3; i++) clients.push(await idleClient(workerPort, '127.0.0.2'));
    const extraWorker = await idleClient(workerPort, '127.0.0.2');
    await closedByServer(extraWorker, 'the worker-port connection over the cap to be refused');
    assert.match(extraWorker.received(), /^HTTP\/1\.1 503 /);
    assert.match(extraWorker.received(), /at most 3 at once \(protocols\.msgpack\.maxConnectionsPerAddress\)/);

    // Another address is not affected: the API answers and a worker attaches.
    const res = await fetch(`http://127.0.0.1:${httpPort}/api/v2/builders`);
    assert.equal(res.status, 200);
    assert.equal((await res.json()).builders[0].name, 'b');
    env.startWorker('w0', workerPort);
    await waitUntil(async () => (await master.get(['workers'])).find((w) => w.connected_to.length > 0), 'w0 to attach');

    // A closed connection gives its place back. The server counts a connection as gone when its own
    // side sees the close, which can come after the client's: until then a request may still get 503.
    await closeAll(clients.splice(0));
    let answer = '';
    await waitUntil(async () => {
      const again = await idleClient(httpPort, '127.0.0.2');
      clients.push(again);
      again.socket.write('GET /api/v2/builders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      await again.closed;
      answer = again.received();
      return !answer.startsWith('HTTP/1.1 503 ');
    }, 'the closed connections to give their places back', 20_000);
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
  } finally {
    await closeAll(clients);
    await env.cleanup();
  }
});

test('a connection that never sends its request is answered 408 and closed after the headers timeout, on both ports', { timeout: 120_000 }, async () => {
  const env = new TestEnv();
  const clients: RawClient[] = [];
  try {
    env.writeConfig(config({ www: 'headersTimeoutMs: 400', msgpack: 'headersTimeoutMs: 400' }));
    const master = await env.startMaster();
    const web = await idleClient(master.ready.httpPort!, '127.0.0.1');
    const workerSide = await idleClient(master.ready.workerPort, '127.0.0.1');
    // The worker port also serves PB (on by default), so a client that says nothing at all is greeted
    // as PB (workers-pb-shared-port.test.ts); an HTTP client that began its request keeps the headers timeout.
    workerSide.socket.write(STARTED_REQUEST);
    clients.push(web, workerSide);
    await closedByServer(web, 'the idle web connection to be closed');
    await closedByServer(workerSide, 'the idle worker-port connection to be closed');
    assert.match(web.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(web.received(), /"error":"the request did not arrive in time/);
    assert.match(workerSide.received(), /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(workerSide.received(), /did not arrive within 400 ms \(protocols\.msgpack\.headersTimeoutMs\)/);

    // An attached worker outlives the timeout: the upgrade ended it for that socket.
    env.startWorker('w0', master.ready.workerPort);
    const attached = async () => (await master.get(['workers'])).find((w) => w.connected_to.length > 0);
    await waitUntil(attached, 'w0 to attach');
    const probe = await idleClient(master.ready.workerPort, '127.0.0.1');
    probe.socket.write(STARTED_REQUEST);
    clients.push(probe);
    await closedByServer(probe, 'a probe connection to time out'); // a full headers timeout later
    assert.ok(await attached(), 'the worker is still attached after a headers timeout has passed');
  } finally {
    await closeAll(clients);
    await env.cleanup();
  }
});
