import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMessage } from '../src/codec.js';
import { ProtocolConnection } from '../src/connection.js';
import { ErrorCodes, ProtocolError, RemoteError } from '../src/errors.js';
import { connectionPair, rawPeer, socketPair } from './support/sockets.js';

function isProtocolError(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

test('a request resolves with the result its handler returns, correlated by seq_number', async (t) => {
  const pair = await connectionPair();
  t.after(() => pair.shutdown());
  pair.worker.setHandler('print', (msg) => `printed ${String(msg.message)}`);
  pair.worker.setHandler('get_worker_info', async () => ({ basedir: '/w', numcpus: 2 }));
  // Out-of-order completion: the slow handler answers after the fast one.
  pair.worker.setHandler('shutdown', () => new Promise((resolve) => setTimeout(() => resolve('late'), 30)));
  const [slow, fast, info] = await Promise.all([
    pair.master.request('shutdown'),
    pair.master.request('print', { message: 'hi' }),
    pair.master.request('get_worker_info'),
  ]);
  assert.equal(slow, 'late');
  assert.equal(fast, 'printed hi');
  assert.deepEqual(info, { basedir: '/w', numcpus: 2 });
});

test('a handler returning nothing answers result null', async (t) => {
  const raw = await rawPeer();
  t.after(() => raw.shutdown());
  raw.conn.setHandler('update', () => undefined);
  raw.sendRaw(encodeMessage({ op: 'update', seq_number: 5, command_id: '1', args: [['rc', 0]] }, 'msgpack'));
  const ev = await raw.nextEvent();
  assert.equal(ev.kind, 'message');
  assert.deepEqual(ev.kind === 'message' && ev.msg, { op: 'response', seq_number: 5, result: null });
});

test('a handler that throws answers is_exception with the error message and the connection stays open', async (t) => {
  const pair = await connectionPair();
  t.after(() => pair.shutdown());
  pair.worker.setHandler('start_command', () => { throw new Error("unrecognized WorkerCommand 'nope'"); });
  pair.worker.setHandler('shutdown', async () => { throw new Error('not now'); });
  await assert.rejects(pair.master.request('start_command', { command_id: '1', command_name: 'nope', args: {} }), (err: unknown) => {
    assert.ok(err instanceof RemoteError);
    assert.equal(err.remoteMessage, "unrecognized WorkerCommand 'nope'");
    assert.equal(err.op, 'start_command');
    return true;
  });
  await assert.rejects(pair.master.request('shutdown'), /not now/);
  assert.equal(await pair.master.request('keepalive'), null);
});

test('an unknown op gets an is_exception response in Buildbot wording and the connection stays open', async (t) => {
  const pair = await connectionPair();
  t.after(() => pair.shutdown());
  await assert.rejects(pair.master.request('frobnicate'), (err: unknown) => {
    assert.ok(err instanceof RemoteError);
    assert.equal(err.remoteMessage, 'Command frobnicate does not exist.');
    return true;
  });
  assert.equal(await pair.master.request('keepalive'), null);
});

test('keepalive is answered with null when no handler is set, and by the handler when one is', async (t) => {
  const pair = await connectionPair();
  t.after(() => pair.shutdown());
  assert.equal(await pair.master.request('keepalive'), null);
  let seen = 0;
  pair.worker.setHandler('keepalive', () => { seen++; return null; });
  await pair.master.request('keepalive');
  assert.equal(seen, 1);
});

test('a request with no answer rejects REQUEST_TIMEOUT and a late answer is ignored', async (t) => {
  const warnings: string[] = [];
  const pair = await connectionPair({ logger: { trace() {}, debug() {}, info() {}, warn: (m: unknown) => warnings.push(String(m)), error() {} } });
  t.after(() => pair.shutdown());
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  pair.worker.setHandler('print', async () => { await released; return 'too late'; });
  await assert.rejects(pair.master.request('print', { message: 'x' }, { timeoutMs: 50 }), isProtocolError(ErrorCodes.REQUEST_TIMEOUT));
  release();
  // The connection still works, and the late response was logged and dropped.
  assert.equal(await pair.master.request('keepalive'), null);
  assert.ok(warnings.some((w) => /ignoring a response for seq_number 0/.test(w)), warnings.join('\n'));
});

test('closing rejects every pending request with CONNECTION_CLOSED and closed reports the code', async (t) => {
  const pair = await connectionPair();
  t.after(() => pair.shutdown());
  pair.worker.setHandler('print', () => new Promise(() => {}));
  let arrived = 0;
  const bothArrived = new Promise<void>((resolve) => pair.worker.setHandler('print', () => { if (++arrived === 2) resolve(); return new Promise(() => {}); }));
  const pending = [pair.master.request('print', { message: 'a' }), pair.master.request('print', { message: 'b' })];
  await bothArrived;
  pair.worker.close(4001, 'replaced');
  for (const p of pending) await assert.rejects(p, isProtocolError(ErrorCodes.CONNECTION_CLOSED));
  assert.deepEqual(await pair.master.closed, { code: 4001, reason: 'replaced' });
  assert.deepEqual(await pair.worker.closed, { code: 4001, reason: 'replaced' });
  await assert.rejects(pair.master.request('keepalive'), isProtocolError(ErrorCodes.CONNECTION_CLOSED));
});

test('keepalive detects a peer that stops answering and closes in bounded time', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.shutdown());
  const master = new ProtocolConnection(pair.serverWs, { keepaliveIntervalMs: 40, keepaliveTimeoutMs: 80 });
  // The peer reads frames but never answers (a wedged process, or a half-open path).
  const worker = new ProtocolConnection(pair.clientWs);
  worker.setHandler('keepalive', () => new Promise(() => {}));
  const started = Date.now();
  const info = await master.closed;
  assert.equal(info.code, 4000);
  assert.match(info.reason, /keepalive/);
  assert.ok(Date.now() - started < 2000, 'closed within interval + timeout (+ slack)');
});

test('keepalive keeps a responsive connection open', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.shutdown());
  const master = new ProtocolConnection(pair.serverWs, { keepaliveIntervalMs: 20, keepaliveTimeoutMs: 100 });
  let pings = 0;
  const worker = new ProtocolConnection(pair.clientWs);
  const enough = new Promise<void>((resolve) => worker.setHandler('keepalive', () => { if (++pings === 5) resolve(); return null; }));
  await enough;
  assert.equal(await master.request('keepalive'), null);
  master.close();
  assert.equal((await master.closed).code, 1000);
});

test('keepalive is satisfied by an exception answer (a Buildbot master does not know the op)', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.shutdown());
  const worker = new ProtocolConnection(pair.clientWs, { keepaliveIntervalMs: 20, keepaliveTimeoutMs: 60 });
  let answered = 0;
  const master = new ProtocolConnection(pair.serverWs);
  const enough = new Promise<void>((resolve) => master.setHandler('keepalive', () => {
    if (++answered === 4) resolve();
    throw new Error('Command keepalive does not exist.');
  }));
  await enough;
  assert.equal(await worker.request('print', { message: 'still open' }).catch((e: Error) => e.message), 'Command print does not exist.');
});

test('sends wait for the socket to drain when over the high-water mark, and keep their order', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.shutdown());
  const worker = new ProtocolConnection(pair.clientWs, { highWaterMark: 64 * 1024, requestTimeoutMs: 30_000 });
  const master = new ProtocolConnection(pair.serverWs);
  const received: number[] = [];
  master.setHandler('update', (msg) => { received.push((msg.args as Array<[string, number]>)[0]![1]); return null; });
  // Stop reading on the master so the worker's socket fills up.
  pair.serverWs.pause();
  const block = 'x'.repeat(60 * 1024);
  const results: Promise<unknown>[] = [];
  let maxSeenBuffered = 0;
  let waited = false;
  for (let i = 0; i < 200; i++) {
    const p = worker.request('update', { command_id: '1', args: [['rc', i], ['header', [block + '\n', [block.length], [0]]]] });
    results.push(p);
    maxSeenBuffered = Math.max(maxSeenBuffered, worker.bufferedAmount);
  }
  // With the peer paused the requests cannot all have been written; some must be held back.
  await new Promise((r) => setImmediate(r));
  waited = worker.bufferedAmount > 64 * 1024;
  assert.ok(waited, 'frames are held while the peer does not read');
  pair.serverWs.resume();
  await Promise.all(results);
  assert.deepEqual(received, Array.from({ length: 200 }, (_, i) => i));
  assert.ok(maxSeenBuffered > 64 * 1024, 'bufferedAmount accounts for frames held back');
});

test('request() itself waits while the socket is over the high-water mark', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.shutdown());
  const worker = new ProtocolConnection(pair.clientWs, { highWaterMark: 16 * 1024 });
  const master = new ProtocolConnection(pair.serverWs);
  master.setHandler('update', () => null);
  pair.serverWs.pause();
  const big = { command_id: '1', args: [['header', ['y'.repeat(1024 * 1024) + '\n', [1024 * 1024], [0]]]] };
  // Fill the socket far past the mark (the kernel buffers take some first).
  const fillers = Array.from({ length: 20 }, () => worker.request('update', big));
  let settled = false;
  const last = worker.request('update', { command_id: '1', args: [['rc', 0]] }).then(() => { settled = true; });
  // Let every queued callback run: the last request must still be waiting for the drain.
  await new Promise((r) => setImmediate(r));
  assert.equal(settled, false);
  pair.serverWs.resume();
  await Promise.all([...fillers, last]);
  assert.equal(settled, true);
});

test('too many pending requests are refused with TOO_MANY_PENDING', async (t) => {
  const pair = await connectionPair({ maxPendingRequests: 3 });
  t.after(() => pair.shutdown());
  pair.worker.setHandler('print', () => new Promise(() => {}));
  const held = [1, 2, 3].map((i) => pair.master.request('print', { message: String(i) }, { timeoutMs: null }));
  await assert.rejects(pair.master.request('print', { message: '4' }), isProtocolError(ErrorCodes.TOO_MANY_PENDING));
  pair.master.close();
  for (const p of held) await assert.rejects(p, isProtocolError(ErrorCodes.CONNECTION_CLOSED));
});

test('an outgoing message larger than maxFrameSize is refused locally with FRAME_TOO_LARGE', async (t) => {
  const pair = await connectionPair({ maxFrameSize: 1024 });
  t.after(() => pair.shutdown());
  await assert.rejects(pair.master.request('print', { message: 'z'.repeat(2048) }), isProtocolError(ErrorCodes.FRAME_TOO_LARGE));
  assert.equal(await pair.master.request('keepalive'), null);
});

test('an incoming frame larger than maxFrameSize closes the connection with 1009', async (t) => {
  const raw = await rawPeer({ maxFrameSize: 1024 });
  t.after(() => raw.shutdown());
  raw.sendRaw(encodeMessage({ op: 'print', seq_number: 0, message: 'q'.repeat(4096) }, 'msgpack'));
  const ev = await raw.nextEvent();
  assert.equal(ev.kind, 'close');
  assert.equal((ev as { code: number }).code, 1009);
  assert.match((ev as { reason: string }).reason, /exceeds the limit of 1024 bytes/);
  assert.equal((await raw.conn.closed).code, 1009);
});

test('responses mirror the encoding of the request, and requests follow the peer encoding', async (t) => {
  const raw = await rawPeer();
  t.after(() => raw.shutdown());
  assert.equal(raw.conn.encoding, 'msgpack');
  raw.sendRaw(JSON.stringify({ op: 'keepalive', seq_number: 0 }));
  const ev = await raw.nextEvent();
  assert.ok(ev.kind === 'message' && !ev.isBinary);
  assert.deepEqual(ev.msg, { op: 'response', seq_number: 0, result: null });
  assert.equal(raw.conn.encoding, 'json');
  const asked = raw.conn.request('print', { message: 'in json' });
  const req = await raw.nextEvent();
  assert.equal(req.kind === 'message' && req.isBinary, false);
  raw.sendRaw(encodeMessage({ op: 'response', seq_number: 0, result: 'ok' }, 'msgpack'));
  assert.equal(await asked, 'ok');
  assert.equal(raw.conn.encoding, 'msgpack');
});

test('with followPeerEncoding false, requests keep the configured encoding while responses still mirror', async (t) => {
  const raw = await rawPeer({ encoding: 'json', followPeerEncoding: false });
  t.after(() => raw.shutdown());
  raw.sendRaw(encodeMessage({ op: 'keepalive', seq_number: 0 }, 'msgpack'));
  const ev = await raw.nextEvent();
  assert.ok(ev.kind === 'message' && ev.isBinary, 'the response mirrors the msgpack request');
  assert.equal(raw.conn.encoding, 'json');
  const asked = raw.conn.request('print', { message: 'still json' });
  const req = await raw.nextEvent();
  assert.equal(req.kind === 'message' && req.isBinary, false, 'own requests stay JSON');
  raw.sendRaw(encodeMessage({ op: 'response', seq_number: 0, result: 'ok' }, 'msgpack'));
  assert.equal(await asked, 'ok');
});

test('JSON-mode connections exchange binary payloads as $binary', async (t) => {
  const pair = await connectionPair({ encoding: 'json' }, { encoding: 'json' });
  t.after(() => pair.shutdown());
  const data = Buffer.from([1, 2, 3, 0, 255]);
  pair.master.setHandler('update_read_file', () => data);
  const got = await pair.worker.request('update_read_file', { command_id: '1', length: 5 });
  assert.ok(Buffer.isBuffer(got));
  assert.deepEqual(got, data);
});

test('a connection made on a still-connecting socket sends once it opens', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.shutdown());
  const { WebSocket } = await import('ws');
  const port = (pair.wss.address() as { port: number }).port;
  const accepted = new Promise<import('ws').WebSocket>((resolve) => pair.wss.once('connection', resolve));
  const early = new ProtocolConnection(new WebSocket(`ws://127.0.0.1:${port}/`));
  const answered = early.request('keepalive');
  new ProtocolConnection(await accepted);
  assert.equal(await answered, null);
  early.close();
});

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { trace() {}, debug() {}, info() {}, warn: (m: unknown) => warnings.push(String(m)), error() {} } };
}

test('an unknown op with a huge name is answered and logged with the name cut short', async (t) => {
  const { warnings, logger } = recordingLogger();
  const raw = await rawPeer({ logger });
  t.after(() => raw.shutdown());
  raw.sendRaw(encodeMessage({ op: 'x'.repeat(1024 * 1024), seq_number: 1 }, 'msgpack'));
  const ev = await raw.nextEvent();
  assert.ok(ev.kind === 'message');
  assert.equal(ev.msg.is_exception, true);
  assert.equal(ev.msg.result, `Command ${'x'.repeat(200)}... (1048576 characters) does not exist.`);
  assert.ok(ev.raw.length < 1024, `the answer is ${ev.raw.length} bytes`);
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.length < 1024, `the log line is ${warnings[0]!.length} characters`);
});

test('warnings are limited per minute per connection, and the closing line says how many were left out', async (t) => {
  const { warnings, logger } = recordingLogger();
  const raw = await rawPeer({ logger, maxWarningsPerMinute: 3, maxPeerErrorsPerMinute: 0 });
  t.after(() => raw.shutdown());
  // The refill over time is RateBudget's (rate-budget.test.ts); here the cap and the count.
  for (let i = 0; i < 50; i++) raw.sendRaw(encodeMessage({ op: 'frobnicate', seq_number: i }, 'msgpack'));
  for (let i = 0; i < 50; i++) assert.equal((await raw.nextEvent()).kind, 'message', 'every unknown op is still answered');
  assert.equal(warnings.length, 3, warnings.join('\n'));
  raw.sendRaw('not json');
  assert.equal((await raw.nextEvent()).kind, 'close');
  assert.match(warnings.at(-1)!, /closing the connection: MASTRO_PROTOCOL_BAD_FRAME: .*\(47 warnings on this connection were not logged\)/);
});

test('a peer that keeps causing protocol errors is closed with 1008 TOO_MANY_PEER_ERRORS and the log says why', async (t) => {
  const { warnings, logger } = recordingLogger();
  const raw = await rawPeer({ logger, maxPeerErrorsPerMinute: 5, maxWarningsPerMinute: 2 });
  t.after(() => raw.shutdown());
  // Stray responses get no answer; unknown ops and invalid messages do until the limit.
  for (let i = 0; i < 3; i++) raw.sendRaw(encodeMessage({ op: 'response', seq_number: 100 + i, result: null }, 'msgpack'));
  raw.sendRaw(encodeMessage({ op: 'frobnicate', seq_number: 1 }, 'msgpack'));
  raw.sendRaw(encodeMessage({ op: 'update', seq_number: 2, command_id: '1', args: { rc: 0 } }, 'msgpack'));
  raw.sendRaw(encodeMessage({ op: 'frobnicate', seq_number: 3 }, 'msgpack'));
  const answers: unknown[] = [];
  let ev = await raw.nextEvent();
  while (ev.kind === 'message') { answers.push(ev.msg.seq_number); ev = await raw.nextEvent(); }
  assert.deepEqual(answers, [1, 2], 'the errors within the limit are answered');
  assert.equal(ev.code, 1008);
  assert.match(ev.reason, /^too many protocol errors from the peer \(more than 5 a minute; the last: Command frobnicate does not exist/);
  assert.deepEqual(await raw.conn.closed, { code: 1008, reason: ev.reason });
  const last = warnings.at(-1)!;
  assert.match(last, /closing the connection: MASTRO_PROTOCOL_TOO_MANY_PEER_ERRORS/);
  // Six errors, six warnings: two logged (maxWarningsPerMinute), four counted in the closing line.
  assert.match(last, /\(4 warnings on this connection were not logged\)/);
  assert.equal(warnings.length, 3, warnings.join('\n'));
});

test('a handler failure is not a protocol error of the peer and never closes the connection', async (t) => {
  const raw = await rawPeer({ maxPeerErrorsPerMinute: 2 });
  t.after(() => raw.shutdown());
  raw.conn.setHandler('update', () => { throw new Error('unknown command_id "9"'); });
  for (let i = 0; i < 10; i++) raw.sendRaw(encodeMessage({ op: 'update', seq_number: i, command_id: '9', args: [['rc', 0]] }, 'msgpack'));
  for (let i = 0; i < 10; i++) {
    const ev = await raw.nextEvent();
    assert.ok(ev.kind === 'message' && ev.msg.is_exception === true, JSON.stringify(ev));
  }
});

test('a peer that sends requests but reads no answers is closed with 1008 PEER_NOT_READING once maxBufferedBytes wait', async (t) => {
  const { warnings, logger } = recordingLogger();
  const raw = await rawPeer({ logger, highWaterMark: 64 * 1024, maxBufferedBytes: 1024 * 1024 });
  t.after(() => raw.shutdown());
  const block = 'y'.repeat(256 * 1024);
  raw.conn.setHandler('print', () => block);
  // The raw client stops reading: the answers pile up in the kernel, then in the connection.
  raw.clientWs.pause();
  for (let i = 0; i < 200; i++) raw.sendRaw(encodeMessage({ op: 'print', seq_number: i, message: 'x' }, 'msgpack'));
  const info = await raw.conn.closed;
  assert.equal(info.code, 1008);
  assert.match(info.reason, /^the peer does not read what it is sent: more than 1048576 bytes wait for it/);
  assert.ok(warnings.some((w) => w.includes('MASTRO_PROTOCOL_PEER_NOT_READING')), warnings.join('\n'));
});

test('maxBufferedBytes must be larger than highWaterMark', async (t) => {
  const pair = await socketPair();
  t.after(() => pair.shutdown());
  assert.throws(() => new ProtocolConnection(pair.serverWs, { highWaterMark: 1024, maxBufferedBytes: 1024 }), /maxBufferedBytes \(1024\) must be larger than highWaterMark \(1024\)/);
});
