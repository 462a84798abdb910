/**
 * The IRC client against Debian's ngircd started by the test (test/support/ircd.ts), with a test
 * user on the same server: joining, channel and private messages both ways, a nick already taken,
 * long text split to fit the line, flood control, TLS with a CA made for this run, the server
 * password, and reconnecting after the server is killed and started again. PING/PONG edge cases
 * run against a scripted server on a plain socket, where the test controls every line.
 */
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IrcClient, type IrcChatMessage, type IrcClientEvents, type IrcClientOptions } from '../src/reporters/transport/irc-client.js';
import { TransportErrorCodes as C, type TransportError } from '../src/reporters/transport/errors.js';
import { TestIrcd, IrcTestUser, ircdUnavailable } from '../../../test/support/ircd.js';
import { makeTestCa } from '../../../test/support/test-ca.js';
import { tcpProxy } from './support/tcp-proxy.js';

const skip = ircdUnavailable();
const tmp = mkdtempSync(join(tmpdir(), 'mastro-irc-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let ircd: TestIrcd;
before(async () => { if (!skip) ircd = await TestIrcd.start(); });
after(async () => { await ircd?.close(); });

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

/** A started bot, stopped after the test. Fast reconnects so the reconnect test does not wait long. */
function bot(o: Partial<IrcClientOptions> & { port: number }): IrcClient {
  const c = new IrcClient({ host: '127.0.0.1', nick: 'mastro', channels: ['#builds'], reconnect: { initialMs: 50, maxMs: 400 }, ...o });
  c.on('warning', () => {}); // asserted where a test expects one
  cleanups.push(() => c.stop());
  c.start();
  return c;
}

async function user(nick: string, port = ircd.port, password?: string): Promise<IrcTestUser> {
  const u = await IrcTestUser.connect(port, nick, password);
  cleanups.push(() => u.quit());
  return u;
}

function next<K extends keyof IrcClientEvents>(c: IrcClient, event: K, pred: (...a: IrcClientEvents[K]) => boolean = () => true): Promise<IrcClientEvents[K]> {
  return new Promise((resolve) => {
    const on = (...a: IrcClientEvents[K]) => { if (pred(...a)) { c.off(event, on as never); resolve(a); } };
    c.on(event, on as never);
  });
}

test('the bot joins its channels and trades channel messages with a user', { skip, timeout: 120_000 }, async () => {
  const ada = await user('ada');
  await ada.join('#builds');
  const joinSeen = ada.waitFor((l) => l.command === 'JOIN' && l.prefix.startsWith('mastro!'));
  const c = bot({ port: ircd.port });
  const [joined] = await next(c, 'joined');
  assert.equal(joined.channel, '#builds');
  await joinSeen;
  assert.deepEqual(c.channels, ['#builds']);

  const heard = next(c, 'message');
  ada.say('#builds', 'mastro: status');
  const [m] = await heard;
  assert.deepEqual({ ...m, userHost: undefined }, { nick: 'ada', target: '#builds', text: 'mastro: status', private: false, kind: 'privmsg', replyTo: '#builds', userHost: undefined });
  assert.match(m.userHost!, /^~?ada@127\.0\.0\.1$/);

  const from = ada.lines.length;
  c.say(m.replyTo, 'build #12 of test: failure');
  const [answer] = await ada.messagesFrom('mastro', '#builds', 1, from);
  assert.equal(answer!.params[1], 'build #12 of test: failure');
});

test('a private message reaches the bot as private, and its answer goes back to the sender alone', { skip, timeout: 120_000 }, async () => {
  const c = bot({ port: ircd.port, channels: [] });
  await next(c, 'registered');
  const bob = await user('bob');
  const heard = next(c, 'message');
  bob.say('mastro', 'force build test because why not');
  const [m] = await heard;
  assert.equal(m.private, true);
  assert.equal(m.target, 'mastro');
  assert.equal(m.replyTo, 'bob');
  assert.equal(m.text, 'force build test because why not');
  const from = bob.lines.length;
  c.notice(m.replyTo, 'you may not force builds');
  const line = await bob.waitFor((l) => l.command === 'NOTICE' && l.prefix.startsWith('mastro!'), from);
  assert.deepEqual(line.params, ['bob', 'you may not force builds']);
});

test('a nick already in use makes the bot register as nick_ and say so', { skip, timeout: 120_000 }, async () => {
  await user('buildbot');
  const c = bot({ port: ircd.port, nick: 'buildbot', channels: [] });
  const warned = next(c, 'warning', (w) => /nick buildbot is in use; trying buildbot_/.test(w.message));
  const [reg] = await next(c, 'registered');
  await warned;
  assert.equal(reg.nick, 'buildbot_');
  assert.equal(c.nick, 'buildbot_');
});

test('long text is split into messages that fit the 512-byte line the server relays, at spaces, and each text line is its own message', { skip, timeout: 120_000 }, async () => {
  const cyd = await user('cyd');
  await cyd.join('#builds');
  const c = bot({ port: ircd.port, floodBurst: 100 });
  await next(c, 'joined');
  const words = Array.from({ length: 150 }, (_, i) => `wörd${i}✓`);
  const from = cyd.lines.length;
  const n = c.say('#builds', `${words.join(' ')}\nsecond line\n\nthird`);
  assert.ok(n >= 5, `expected the text in several messages, got ${n}`);
  const got = await cyd.messagesFrom('mastro', '#builds', n, from);
  for (const l of got) assert.ok(Buffer.byteLength(`${l.raw}\r\n`) <= 512, `relayed line of ${Buffer.byteLength(l.raw) + 2} bytes`);
  const texts = got.map((l) => l.params[1]!);
  assert.deepEqual(texts.slice(-2), ['second line', 'third']);
  assert.equal(texts.slice(0, -2).join(' '), words.join(' '), 'split only at spaces, nothing lost or mangled');
});

test('flood control sends a burst at once and holds the rest back, then delivers every line in order', { skip, timeout: 120_000 }, async () => {
  const dee = await user('dee');
  await dee.join('#builds');
  const c = bot({ port: ircd.port, floodBurst: 2, floodIntervalMs: 100 });
  await next(c, 'joined');
  const from = dee.lines.length;
  for (let i = 0; i < 10; i++) c.say('#builds', `line ${i}`);
  assert.equal(c.queuedLines, 8, 'two lines go at once, eight wait');
  const got = await dee.messagesFrom('mastro', '#builds', 10, from);
  assert.deepEqual(got.map((l) => l.params[1]), Array.from({ length: 10 }, (_, i) => `line ${i}`));
  assert.equal(c.queuedLines, 0);
});

test('the bot reconnects with backoff after the server is killed, and rejoins once it is back', { skip, timeout: 120_000 }, async () => {
  const c = bot({ port: ircd.port });
  await next(c, 'joined');
  const lost = next(c, 'disconnected');
  const retried = next(c, 'reconnecting', (r) => r.attempt >= 2); // at least one attempt failed while the server was down
  await ircd.kill();
  const [why] = await lost;
  assert.match(why.reason, /closed|refused|ECONNRESET/);
  await retried;
  assert.equal(c.registered, false);
  const rejoined = next(c, 'joined');
  await ircd.startAgain();
  await rejoined;
  assert.equal(c.registered, true);

  const eve = await user('eve');
  await eve.join('#builds');
  const heard = next(c, 'message');
  eve.say('#builds', 'welcome back');
  assert.equal((await heard)[0].text, 'welcome back');
  const from = eve.lines.length;
  c.say('#builds', 'back online');
  assert.equal((await eve.messagesFrom('mastro', '#builds', 1, from))[0]!.params[1], 'back online');
});

test('lines said while the connection is down are kept and sent, in order, once the bot is back in the channel', { skip, timeout: 120_000 }, async () => {
  // Through a TCP proxy, so the test decides when the bot gets back in (after the user is there).
  const proxy = await tcpProxy(new URL(`irc://127.0.0.1:${ircd.port}`));
  cleanups.push(proxy.close);
  const c = bot({ port: Number(new URL(proxy.url).port) });
  await next(c, 'joined');
  const lost = next(c, 'disconnected');
  proxy.refuse(true);
  await lost;
  c.say('#builds', 'said while away 1');
  c.say('#builds', 'said while away 2');
  assert.equal(c.queuedLines, 2);
  const fay = await user('fay');
  await fay.join('#builds');
  const from = fay.lines.length;
  proxy.refuse(false);
  const got = await fay.messagesFrom('mastro', '#builds', 2, from);
  assert.deepEqual(got.map((l) => l.params[1]), ['said while away 1', 'said while away 2']);
});

test('over TLS the bot verifies the server certificate: the reporter\'s CA lets it in, without it a TLS warning', { skip, timeout: 120_000 }, async () => {
  const ca = makeTestCa(mkdtempSync(join(tmp, 'ca-')));
  const tlsd = await TestIrcd.start({ tls: { certFile: ca.certFile, keyFile: ca.keyFile } });
  cleanups.push(() => tlsd.close());
  const good = bot({ port: tlsd.tlsPort!, useSSL: true, ca: ca.caPem, channels: [] });
  await next(good, 'registered');
  const bad = bot({ port: tlsd.tlsPort!, useSSL: true, nick: 'mastro2', channels: [] });
  const [w] = await next(bad, 'warning', (e) => e.code === C.TLS);
  assert.match(w.message, /not trusted .*ca option/);
  assert.equal(bad.registered, false);
});

test('the server password is sent with PASS; a wrong one gives an AUTH warning', { skip, timeout: 120_000 }, async () => {
  const pwd = await TestIrcd.start({ password: 'irc-Serv3r-pass' });
  cleanups.push(() => pwd.close());
  const good = bot({ port: pwd.port, password: 'irc-Serv3r-pass', channels: [] });
  await next(good, 'registered');
  const bad = bot({ port: pwd.port, password: 'wrong-pass', nick: 'mastro3', channels: [] });
  const [w] = await next(bad, 'warning', (e) => e.code === C.AUTH);
  assert.match(w.message, /refused the password/);
  assert.doesNotMatch(w.message, /wrong-pass/);
});

/** A scripted IRC server on a plain socket: the test reads and writes its lines. */
async function scriptedServer(): Promise<{ port: number; accepted: Promise<{ socket: Socket; lines: string[]; waitLine(re: RegExp): Promise<string> }>; close(): Promise<void> }> {
  const server = createServer();
  const sockets = new Set<Socket>();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const accepted = new Promise<{ socket: Socket; lines: string[]; waitLine(re: RegExp): Promise<string> }>((resolve) => {
    server.once('connection', (socket: Socket) => {
      sockets.add(socket);
      const lines: string[] = [];
      const waiters: Array<{ re: RegExp; r: (l: string) => void }> = [];
      let buf = '';
      socket.setEncoding('utf8');
      socket.on('error', () => {});
      socket.on('data', (d: string) => {
        buf += d;
        let nl: number;
        while ((nl = buf.indexOf('\r\n')) >= 0) {
          const l = buf.slice(0, nl); buf = buf.slice(nl + 2); lines.push(l);
          for (const w of [...waiters]) if (w.re.test(l)) { waiters.splice(waiters.indexOf(w), 1); w.r(l); }
        }
      });
      resolve({ socket, lines, waitLine: (re) => { const hit = lines.find((l) => re.test(l)); return hit ? Promise.resolve(hit) : new Promise((r) => waiters.push({ re, r })); } });
    });
  });
  return { port: (server.address() as { port: number }).port, accepted, close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

test('the bot registers with NICK and USER, answers a server PING with the same token, and ignores CTCP queries', { timeout: 60_000 }, async () => {
  const srv = await scriptedServer();
  cleanups.push(srv.close);
  const c = bot({ port: srv.port, channels: ['#a'], realname: 'CI bot' });
  const peer = await srv.accepted;
  assert.equal(await peer.waitLine(/^NICK /), 'NICK mastro');
  assert.equal(await peer.waitLine(/^USER /), 'USER mastro 0 * :CI bot');
  peer.socket.write(':irc.test 001 mastro :Welcome to the Internet Relay Network mastro!m@10.0.0.1\r\n');
  assert.equal(await peer.waitLine(/^JOIN /), 'JOIN #a');
  peer.socket.write('PING :token-42\r\n');
  assert.equal(await peer.waitLine(/^PONG /), 'PONG token-42');
  const heard: IrcChatMessage[] = [];
  c.on('message', (m) => heard.push(m));
  const action = next(c, 'message');
  peer.socket.write(':ada!a@h PRIVMSG mastro :\x01VERSION\x01\r\n:ada!a@h PRIVMSG #a :\x01ACTION waves\x01\r\n');
  const [m] = await action;
  assert.deepEqual([m.kind, m.text, heard.length], ['action', 'waves', 1]);
});

test('a connection that stays silent after the bot\'s own PING counts as lost and is reconnected', { timeout: 60_000 }, async () => {
  const srv = await scriptedServer();
  cleanups.push(srv.close);
  const c = bot({ port: srv.port, channels: [], pingIntervalMs: 100, pingTimeoutMs: 200 });
  const peer = await srv.accepted;
  await peer.waitLine(/^USER /);
  peer.socket.write(':irc.test 001 mastro :Welcome\r\n');
  await next(c, 'registered');
  const lost = next(c, 'disconnected');
  const retry = next(c, 'reconnecting'); // emitted right after 'disconnected': listen before
  assert.match(await peer.waitLine(/^PING /), /^PING mastro-\d+$/);
  const [why] = await lost;
  assert.equal(why.reason, 'no answer to PING within 200 ms');
  await retry;
});

test('a server that never sends its welcome is left after connectTimeoutMs', { timeout: 60_000 }, async () => {
  const srv = await scriptedServer();
  cleanups.push(srv.close);
  const c = bot({ port: srv.port, channels: [], connectTimeoutMs: 200 });
  await srv.accepted;
  const [why] = await next(c, 'disconnected');
  assert.equal(why.reason, 'no welcome from the server within 200 ms');
});

test('an invalid nick is refused when the bot is made', () => {
  assert.throws(() => new IrcClient({ host: 'x', nick: '9lives' }), (e: TransportError) => e.code === C.CONFIG && /not valid/.test(e.message));
});
