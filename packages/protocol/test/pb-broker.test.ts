/**
 * The PB broker over real loopback TCP: against itself, against a Twisted PB server (our client
 * role) and against raw banana written by hand (bad peers). Calls, answers, errors, references
 * both ways, decref, limits, and what a lost connection does to calls waiting for answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Broker } from '../src/pb/broker.js';
import { encodeBanana } from '../src/pb/banana-encoder.js';
import { BananaDecoder, type BananaValue } from '../src/pb/banana-decoder.js';
import { PbErrorCodes, PbProtocolError, PbRemoteError } from '../src/pb/errors.js';
import { FailureTypes, PbError } from '../src/pb/failure.js';
import { Referenceable, RemoteReference } from '../src/pb/referenceable.js';
import { brokerPair, pbServer, rawClient } from './support/pb-pair.js';
import { startTwistedPbServer } from './support/twisted.js';

function decodeStream(bytes: Buffer): BananaValue[] {
  const decoder = new BananaDecoder();
  const out: BananaValue[] = [];
  decoder.push(bytes, (v) => { out.push(v); if (out.length === 1) decoder.dialect = 'pb'; });
  return out;
}

const text = (v: BananaValue) => (Buffer.isBuffer(v) ? v.toString('latin1') : v);

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i > 2000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('the server offers the pb and none dialects, the client picks pb, and both announce version 6', async () => {
  const srv = await pbServer((socket) => new Broker(socket, { role: 'server' }));
  const raw = await rawClient(srv.port);
  await until(() => raw.received().length >= 10, 'the dialect offer');
  assert.deepEqual(raw.received().toString('hex'), encodeBanana(['pb', 'none'], { vocabulary: false }).toString('hex'));
  raw.socket.write(encodeBanana('pb', { vocabulary: false }));
  await srv.brokers[0]!.ready;
  await until(() => decodeStream(raw.received()).length === 2, 'the version');
  const [, version] = decodeStream(raw.received());
  assert.deepEqual((version as BananaValue[]).map(text), ['version', 6]);
  assert.equal(srv.brokers[0]!.negotiatedDialect, 'pb');
  raw.socket.destroy();
  await srv.close();
});

test('a server told its offer was already sent (a shared port greeted the client) does not offer again, and a call in the bytes it was handed finds its named objects', async () => {
  const { dialectOffer } = await import('../src/pb/broker.js');
  assert.equal(dialectOffer().toString('hex'), encodeBanana(['pb', 'none'], { vocabulary: false }).toString('hex'));
  let called = false;
  const root = new Referenceable({ take: () => { called = true; return 'taken'; } });
  const srv = await pbServer((socket) => {
    // What a shared port does: it writes the offer itself, then hands over the client's first bytes,
    // which here hold the dialect choice and a call on root at once.
    socket.write(dialectOffer());
    const first = Buffer.concat([encodeBanana('pb', { vocabulary: false }), encodeBanana(['message', 1, 'root', 'take', 1, ['tuple'], ['dictionary']], { vocabulary: true })]);
    return new Broker(socket, { role: 'server', offerSent: true, initialData: first, namedObjects: { root } });
  });
  const raw = await rawClient(srv.port);
  await srv.brokers[0]!.ready;
  await until(() => decodeStream(raw.received()).length === 3, 'the version and the answer');
  const [offer, version, answer] = decodeStream(raw.received()) as BananaValue[][];
  assert.deepEqual(offer!.map(text), ['pb', 'none'], 'the offer came once, from the shared port');
  assert.deepEqual(version!.map(text), ['version', 6]);
  assert.deepEqual([text(answer![0]!), answer![1]], ['answer', 1]);
  assert.equal(called, true);
  raw.socket.destroy();
  await srv.close();
});

test('a call carries positional and keyword arguments and resolves with the answer', async () => {
  const pair = await brokerPair({}, {}, (server) => server.setNamedObject('root', new Referenceable({
    echo: ({ args, kwargs }) => ({ args, kwargs }),
    later: async ({ args: [n] }) => { await new Promise((r) => setTimeout(r, 10)); return (n as number) * 2; },
  })));
  const root = pair.client.remoteForName('root');
  assert.deepEqual(await root.callRemoteWith('echo', [1, 'two', [null, true]], { kwargs: { message: 'hi' } }), { args: [1, 'two', [null, true]], kwargs: { message: 'hi' } });
  const answers = await Promise.all([root.callRemote('later', 1), root.callRemote('later', 2), root.callRemote('later', 3)]);
  assert.deepEqual(answers, [2, 4, 6]);
  assert.equal(await root.callRemoteWith('echo', [], { answer: false }), undefined);
  assert.equal(pair.client.pendingCount, 0);
  await pair.close();
});

test('errors come back as PbRemoteError with the Python class names; unknown methods and objects are refused', async () => {
  const pair = await brokerPair({}, {}, (server) => server.setNamedObject('root', new Referenceable({
    refuse: () => { throw new PbError(FailureTypes.UNAUTHORIZED_LOGIN, 'nope'); },
    crash: () => { throw new Error('something broke'); },
    reject: () => Promise.reject(new Error('async broke')),
  })));
  const root = pair.client.remoteForName('root');
  const remoteError = async (p: Promise<unknown>) => { try { await p; } catch (err) { assert.ok(err instanceof PbRemoteError, String(err)); return err; } assert.fail('resolved'); };
  const refused = await remoteError(root.callRemote('refuse'));
  assert.equal(refused.failure.type, 'twisted.cred.error.UnauthorizedLogin');
  assert.ok(refused.check('twisted.cred.error.LoginFailed'));
  assert.match((await remoteError(root.callRemote('crash'))).message, /answered crash with builtins\.RuntimeError: something broke/);
  assert.match((await remoteError(root.callRemote('reject'))).failure.value, /async broke/);
  const missing = await remoteError(root.callRemote('nosuch'));
  assert.ok(missing.check('twisted.spread.flavors.NoSuchMethod'));
  assert.equal(missing.failure.value, 'No such method: remote_nosuch');
  const gone = await remoteError(pair.client.remoteForName('nothing-here').callRemote('x'));
  assert.match(gone.failure.value, /object nothing-here, which this side does not have/);
  // The connection survives all of these.
  assert.ok(pair.client.connected && pair.server.connected);
  await pair.close();
});

test('references travel both ways: a lent object can be called back, and comes home as the same object', async () => {
  const pinger = new Referenceable({ ping: () => 'pong' });
  let seenBack: unknown = null;
  const pair = await brokerPair({}, {}, (server) => server.setNamedObject('root', new Referenceable({
    lend: () => pinger,
    callMe: async ({ args: [ref] }) => (ref as RemoteReference).callRemote('hello', 'from the server'),
    giveBack: ({ args: [obj] }) => { seenBack = obj; return null; },
  })));
  const root = pair.client.remoteForName('root');
  const ref = await root.callRemote('lend') as RemoteReference;
  assert.ok(ref instanceof RemoteReference);
  assert.equal(await ref.callRemote('ping'), 'pong');
  assert.equal(await root.callRemote('lend'), ref, 'the same remote object is the same reference');
  assert.equal(ref.owed, 2);
  await root.callRemote('giveBack', ref);
  assert.equal(seenBack, pinger, 'a reference sent home arrives as the original object');
  const mind = new Referenceable({ hello: ({ args: [m] }) => `client got: ${m}` });
  assert.equal(await root.callRemote('callMe', mind), 'client got: from the server');
  assert.equal(pair.server.lentCount, 1);
  ref.release();
  await until(() => pair.server.lentCount === 0, 'the decrefs');
  await pair.close();
});

test('our client against a Twisted PB server: calls, keyword arguments, errors, references and decref', async () => {
  const twisted = await startTwistedPbServer();
  const socket = connect(twisted.port, '127.0.0.1');
  const broker = new Broker(socket, { role: 'client' });
  try {
    await broker.ready;
    const root = broker.remoteForName('root');
    assert.deepEqual(await root.callRemoteWith('echo', [1, 'ü', Buffer.from('b'), [2.5]], { kwargs: { key: null } }), [[1, 'ü', Buffer.from('b'), [2.5]], { key: null }]);
    await assert.rejects(root.callRemote('fail'), (err: unknown) => err instanceof PbRemoteError && err.failure.type === 'builtins.ValueError' && err.failure.value === 'root failed');
    await assert.rejects(root.callRemote('missing'), (err: unknown) => err instanceof PbRemoteError && err.check('twisted.spread.flavors.NoSuchMethod'));
    const pinger = await root.callRemote('lend') as RemoteReference;
    assert.equal(await pinger.callRemote('ping'), 'pong');
    assert.equal(await root.callRemote('count'), 1);
    pinger.release();
    assert.equal(await root.callRemote('count'), 0, 'Twisted dropped the object after our decref');
    const mind = new Referenceable({ echo: ({ args }) => ({ got: args }) });
    assert.deepEqual(await root.callRemote('callBack', mind, 'x', 7), { got: ['x', 7] });
  } finally {
    broker.close();
    socket.destroy();
    await twisted.stop();
  }
});

test('a lost connection rejects every waiting call with the reason, and later calls at once', async () => {
  let started = 0;
  const pair = await brokerPair({}, {}, (server) => server.setNamedObject('root', new Referenceable({
    hang: () => { started++; return new Promise(() => {}); },
  })));
  const root = pair.client.remoteForName('root');
  const disconnected = new Promise<string>((resolve) => root.notifyOnDisconnect(resolve));
  const waiting = [root.callRemote('hang'), root.callRemote('hang'), root.callRemote('hang')];
  await until(() => started === 3, 'the calls to start');
  pair.serverSocket.destroy();
  for (const p of waiting) {
    await assert.rejects(p, (err: unknown) => err instanceof PbProtocolError && err.code === PbErrorCodes.CONNECTION_LOST && /hang was answered/.test(err.message));
  }
  assert.match(await disconnected, /closed/);
  await assert.rejects(root.callRemote('hang'), (err: unknown) => err instanceof PbProtocolError && err.code === PbErrorCodes.CONNECTION_LOST);
  assert.equal((await pair.client.closed).error, null);
  await pair.close();
});

test('a call can time out without ending the connection, and its late answer is not a protocol error', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const pair = await brokerPair({}, { maxPeerErrorsPerMinute: 1 }, (server) => server.setNamedObject('root', new Referenceable({
    slow: async () => { await gate; return 'late'; },
    fast: () => 'ok',
  })));
  const root = pair.client.remoteForName('root');
  await assert.rejects(root.callRemoteWith('slow', [], { timeoutMs: 50 }), (err: unknown) => err instanceof PbProtocolError && err.code === PbErrorCodes.CALL_TIMEOUT);
  release();
  assert.equal(await root.callRemote('fast'), 'ok');
  assert.equal(await root.callRemote('fast'), 'ok');
  assert.ok(pair.client.connected);
  await pair.close();
});

test('limits: lent objects, pending calls and remote references per connection', async () => {
  const pair = await brokerPair({ maxLocalObjects: 2, maxRemoteReferences: 2 }, { maxPendingCalls: 2 }, (server) => server.setNamedObject('root', new Referenceable({
    lend: () => new Referenceable({}),
    hang: () => new Promise(() => {}),
    take: () => null,
  })));
  const root = pair.client.remoteForName('root');
  await root.callRemote('lend');
  await root.callRemote('lend');
  await assert.rejects(root.callRemote('lend'), (err: unknown) => err instanceof PbRemoteError && /releases none/.test(err.message));
  void root.callRemote('hang').catch(() => {});
  void root.callRemote('hang').catch(() => {});
  await assert.rejects(root.callRemote('hang'), (err: unknown) => err instanceof PbProtocolError && err.code === PbErrorCodes.TOO_MANY_PENDING);
  pair.close();
  const pair2 = await brokerPair({ maxRemoteReferences: 2 }, {}, (server) => server.setNamedObject('root', new Referenceable({ take: () => null })));
  const root2 = pair2.client.remoteForName('root');
  const objs = [1, 2, 3].map(() => new Referenceable({}));
  await root2.callRemote('take', objs[0], objs[1]);
  await assert.rejects(root2.callRemote('take', objs[2]), (err: unknown) => err instanceof PbRemoteError && /more than 2 distinct remote references/.test(err.message));
  await pair2.close();
});

test('past maxInflightCalls running calls the broker stops reading the socket, and resumes as they finish', async () => {
  let running = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  const pair = await brokerPair({ maxInflightCalls: 3 }, {}, (server) => server.setNamedObject('root', new Referenceable({
    wait: async () => { running++; await gate; running--; return 'done'; },
  })));
  const root = pair.client.remoteForName('root');
  const calls: Promise<unknown>[] = [];
  for (let i = 0; i < 3; i++) calls.push(root.callRemote('wait'));
  await until(() => running === 3, 'three running calls');
  assert.equal(pair.serverSocket.isPaused(), true);
  for (let i = 0; i < 3; i++) calls.push(root.callRemote('wait'));
  release();
  assert.deepEqual(await Promise.all(calls), Array(6).fill('done'));
  assert.equal(pair.serverSocket.isPaused(), false);
  await pair.close();
});

test('a peer that does not read what it is sent is disconnected past maxBufferedBytes', async () => {
  const big = 'x'.repeat(600 * 1024);
  const pair = await brokerPair({ maxBufferedBytes: 1024 * 1024 }, {}, (server) => server.setNamedObject('root', new Referenceable({ big: () => big })));
  pair.clientSocket.pause();
  const root = pair.client.remoteForName('root');
  const calls = Array.from({ length: 40 }, () => root.callRemote('big').catch(() => 'failed'));
  const info = await pair.server.closed;
  assert.equal(info.error?.code, PbErrorCodes.PEER_NOT_READING);
  assert.match(info.reason, /more than 1048576 bytes wait/);
  pair.clientSocket.resume();
  await Promise.all(calls);
  await pair.close();
});

test('a bad handshake, a wrong version and malformed messages end the connection with the reason', async () => {
  const reasons: string[] = [];
  const srv = await pbServer((socket) => {
    const b = new Broker(socket, { role: 'server', handshakeTimeoutMs: 500 });
    void b.closed.then((i) => reasons.push(`${i.error?.code}: ${i.reason}`));
    return b;
  });
  const attempt = async (...expressions: [unknown, boolean][]) => {
    const raw = await rawClient(srv.port);
    for (const [e, vocab] of expressions) raw.socket.write(encodeBanana(e as never, { vocabulary: vocab }));
    await raw.closed;
    return reasons.at(-1)!;
  };
  assert.match(await attempt(['xml', false]), /MASTRO_PB_BAD_DIALECT: .*chose "xml", which was not offered/);
  assert.match(await attempt(['pb', false], [['version', 5], true]), /MASTRO_PB_VERSION_MISMATCH: the peer speaks PB broker version 5/);
  assert.match(await attempt(['pb', false], [7, true]), /MASTRO_PB_BAD_MESSAGE: .*list that starts with its name/);
  assert.match(await attempt(['pb', false], [['message', 1, 'root'], true]), /MASTRO_PB_BAD_MESSAGE: .*6 fields, got 2/);
  assert.match(await attempt(['pb', false], [['answer', 'x', 1], true]), /MASTRO_PB_BAD_MESSAGE/);
  // Text on the PB port reads as one long element header: refused past the 64-byte prefix limit...
  const http = await rawClient(srv.port);
  http.socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: ${'x'.repeat(80)}\r\n\r\n`);
  await http.closed;
  assert.match(reasons.at(-1)!, /MASTRO_PB_PREFIX_TOO_LONG/);
  // ...and a short line, or silence, by the handshake timeout.
  const quiet = await rawClient(srv.port);
  quiet.socket.write('hello\r\n');
  await quiet.closed;
  assert.match(reasons.at(-1)!, /MASTRO_PB_HANDSHAKE_TIMEOUT: the PB handshake did not finish within 500 ms/);
  await srv.close();
});

test('unknown broker messages are answered didNotUnderstand, and too many protocol errors a minute close the connection', async () => {
  const srv = await pbServer((socket) => new Broker(socket, { role: 'server', maxPeerErrorsPerMinute: 3 }));
  const raw = await rawClient(srv.port);
  raw.socket.write(encodeBanana('pb', { vocabulary: false }));
  raw.socket.write(encodeBanana(['frobnicate', 1], { vocabulary: true }));
  await until(() => decodeStream(raw.received()).length >= 3, 'didNotUnderstand');
  const [, , reply] = decodeStream(raw.received());
  assert.deepEqual((reply as BananaValue[]).map(text), ['didNotUnderstand', 'frobnicate']);
  for (let i = 0; i < 3; i++) raw.socket.write(encodeBanana(['answer', 99 + i, ['None']], { vocabulary: true }));
  await raw.closed;
  const info = await srv.brokers[0]!.closed;
  assert.equal(info.error?.code, PbErrorCodes.TOO_MANY_PEER_ERRORS);
  assert.match(info.reason, /more than 3 a minute; the last: an answer for call 101, which nobody waits for/);
  await srv.close();
});

test('a call whose arguments hold a type outside the allow-list is answered InsecureJelly, and the connection stays', async () => {
  let called = false;
  const srv = await pbServer((socket) => {
    const b = new Broker(socket, { role: 'server' });
    b.setNamedObject('root', new Referenceable({ take: () => { called = true; return null; } }));
    return b;
  });
  const raw = await rawClient(srv.port);
  raw.socket.write(encodeBanana('pb', { vocabulary: false }));
  raw.socket.write(encodeBanana(['message', 1, 'root', 'take', 1, ['tuple', ['os.system', ['unicode', 'rm -rf /']]], ['dictionary']], { vocabulary: true }));
  raw.socket.write(encodeBanana(['message', 2, 'root', 'take', 1, ['tuple'], ['dictionary']], { vocabulary: true }));
  await until(() => decodeStream(raw.received()).length >= 4, 'both answers');
  const [, , error, answer] = decodeStream(raw.received()) as BananaValue[][];
  assert.equal(text(error![0]!), 'error');
  assert.match(JSON.stringify(error, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString() : v)), /twisted\.spread\.jelly\.InsecureJelly.*type os\.system/);
  assert.deepEqual([text(answer![0]!), answer![1]], ['answer', 2]);
  assert.equal(called, true, 'only the clean call ran');
  assert.ok(srv.brokers[0]!.connected);
  raw.socket.destroy();
  await srv.brokers[0]!.closed;
  await srv.close();
});
