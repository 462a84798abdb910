/**
 * Fuzzing PB: random, truncated, oversized and type-confused banana and jelly, into the decoder,
 * into unjelly, and over live loopback connections to a broker. Seeded, so a failure reproduces
 * (the seed and case number are in the message). What must hold:
 * - the decoder and unjelly throw nothing but PbProtocolError;
 * - nothing is built from the wire but plain data, references, and the allow-listed copy type;
 * - a live broker answers or closes that one connection, and keeps serving the next.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { once } from 'node:events';
import { BananaDecoder, type BananaValue } from '../src/pb/banana-decoder.js';
import { encodeBanana, type BananaInput } from '../src/pb/banana-encoder.js';
import { Broker } from '../src/pb/broker.js';
import { PB_VOCABULARY } from '../src/pb/constants.js';
import { PbProtocolError } from '../src/pb/errors.js';
import { PbFailure } from '../src/pb/failure.js';
import { unjelly } from '../src/pb/jelly-decoder.js';
import { Unpersistable, type CopyableFactory } from '../src/pb/jelly-types.js';
import { Referenceable, RemoteReference } from '../src/pb/referenceable.js';
import { pbServer } from './support/pb-pair.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

const SEED = Number(process.env.MASTRO_FUZZ_SEED ?? 0xb4a4a);
const CASES = Number(process.env.MASTRO_FUZZ_FRAMES ?? 3000);

/** Objects of these classes are the only non-plain values unjelly may return. */
class Allowed { constructor(readonly state: unknown) {} }
const ALLOWED = 'mastro.test.Allowed';

const JELLY_TAGS = ['None', 'unicode', 'boolean', 'list', 'tuple', 'set', 'frozenset', 'dictionary', 'reference', 'dereference', 'remote',
  'local', 'unpersistable', ALLOWED, 'twisted.spread.pb.CopyableFailure', 'os.system', 'class', 'module', 'function', 'instance', 'persistent',
  'cached', 'lcache', 'copy', 'subprocess.Popen', 'builtins.eval', '__proto__', 'constructor'];

function generators(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const scalar = (): BananaInput => pick<() => BananaInput>([
    () => int(1000), () => -int(1000), () => 2 ** 31 + int(10), () => 2n ** BigInt(60 + int(300)), () => rand() - 0.5,
    () => pick(PB_VOCABULARY), () => pick(JELLY_TAGS), () => Buffer.from(Array.from({ length: int(12) }, () => int(256))),
    () => 'true', () => 'false', () => '',
  ])();
  /** A jelly-shaped tree with random tags and random arities: well-formed banana, confused types. */
  const sexp = (depth = 0): BananaInput => {
    if (depth > 5 || rand() < 0.3) return scalar();
    const items: BananaInput[] = rand() < 0.85 ? [pick(JELLY_TAGS)] : [];
    for (let i = int(5); i > 0; i--) items.push(sexp(depth + 1));
    if (items[0] === 'dictionary') for (let i = 1; i < items.length; i++) if (rand() < 0.7) items[i] = [sexp(depth + 2), sexp(depth + 2)];
    if ((items[0] === 'reference' || items[0] === 'dereference' || items[0] === 'remote' || items[0] === 'local') && rand() < 0.7) items[1] = int(4);
    return items;
  };
  const randomBytes = (): Buffer => Buffer.from(Array.from({ length: 1 + int(60) }, () => (rand() < 0.5 ? 0x80 + int(8) : int(256))));
  /** A valid encoding, then truncated, extended, bit-flipped, or with a header inflated past the limits. */
  const mutated = (): Buffer => {
    const b = Buffer.from(encodeBanana(sexp(), { vocabulary: true }));
    const r = rand();
    if (r < 0.25) return b.subarray(0, int(b.length));
    if (r < 0.5) { for (let i = 1 + int(3); i > 0; i--) b[int(b.length)] ^= 1 << int(8); return b; }
    if (r < 0.65) return Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0x7f]), Buffer.from([pick([0x80, 0x82])]), b]);
    if (r < 0.75) return Buffer.concat([Buffer.alloc(70, 0x01), b]);
    if (r < 0.85) return Buffer.concat([b, randomBytes()]);
    return b;
  };
  return { int, pick, sexp, randomBytes, mutated };
}

/** Every value reachable from `v` is plain data, a reference, a failure, an Unpersistable or Allowed. */
function assertOnlyAllowed(v: unknown, where: string, seen = new Set<unknown>()): void {
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (Buffer.isBuffer(v) || v instanceof RemoteReference || v instanceof Unpersistable || v instanceof PbFailure || v instanceof Referenceable) return;
  if (v instanceof Allowed) return assertOnlyAllowed(v.state, where, seen);
  if (Array.isArray(v) || v instanceof Set) { for (const x of v) assertOnlyAllowed(x, where, seen); return; }
  assert.equal(Object.getPrototypeOf(v), Object.prototype, `${where}: built an object of class ${(v as object).constructor?.name}`);
  for (const x of Object.values(v)) assertOnlyAllowed(x, where, seen);
}

test('random, truncated, oversized and mutated bytes make the decoder throw nothing but PbProtocolError', () => {
  const g = generators(seededRandom(SEED));
  let errors = 0;
  for (let i = 0; i < CASES; i++) {
    const bytes = g.int(2) ? g.mutated() : g.randomBytes();
    const decoder = new BananaDecoder({ maxElementSize: 4096, maxDepth: 8, maxItems: 500, maxExpressionSize: 8192 });
    decoder.dialect = g.int(4) ? 'pb' : null;
    try {
      for (let at = 0; at < bytes.length;) {
        const n = 1 + g.int(16);
        decoder.push(bytes.subarray(at, at + n), () => {});
        at += n;
      }
    } catch (err) {
      errors++;
      assert.ok(err instanceof PbProtocolError, `seed ${SEED} case ${i}: ${String(err)} for ${bytes.toString('hex')}`);
    }
  }
  assert.ok(errors > CASES / 10, `the inputs were hostile enough (${errors} refused)`);
});

test('type-confused jelly builds nothing outside the allow-list and throws nothing but PbProtocolError', () => {
  const g = generators(seededRandom(SEED + 1));
  let built = 0;
  let refusedCount = 0;
  const refs: RemoteReference[] = [];
  const context = {
    copyables: new Map<string, CopyableFactory>([[ALLOWED, (state) => { built++; return new Allowed(state); }], ['twisted.spread.pb.CopyableFailure', PbFailure.fromCopyState]]),
    remote: (id: number) => { const r = new RemoteReference({ connected: false, sendMessage: async () => null, sendDecref() {}, onDisconnect: () => () => {} }, id, true); refs.push(r); return r; },
    local: (id: number | string) => { if (id !== 1) throw new PbProtocolError('MASTRO_PB_BAD_JELLY', { detail: 'no such object' }); return new Referenceable({}); },
    maxDepth: 12, maxItems: 400,
  };
  for (let i = 0; i < CASES; i++) {
    const decoder = new BananaDecoder();
    decoder.dialect = 'pb';
    let sexp: BananaValue | undefined;
    decoder.push(encodeBanana(g.sexp(), { vocabulary: true }), (v) => { sexp = v; });
    try {
      assertOnlyAllowed(unjelly(sexp!, context), `seed ${SEED + 1} case ${i}`);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      refusedCount++;
      assert.ok(err instanceof PbProtocolError, `seed ${SEED + 1} case ${i}: ${String(err)}`);
    }
  }
  assert.ok(refusedCount > CASES / 10 && built > 0, `both refusals (${refusedCount}) and allowed copies (${built}) were exercised`);
});

test('a live broker fed hostile input answers or closes that connection, never crashes, and keeps serving', async () => {
  const g = generators(seededRandom(SEED + 2));
  const calls: unknown[] = [];
  const srv = await pbServer((socket) => {
    const b = new Broker(socket, { role: 'server', handshakeTimeoutMs: 2000, maxPeerErrorsPerMinute: 50, maxElementSize: 8192, maxExpressionSize: 65536,
      copyables: new Map([[ALLOWED, (state) => new Allowed(state)]]) });
    b.setNamedObject('root', new Referenceable({
      take: ({ args, kwargs }) => { assertOnlyAllowed([args, kwargs], 'a call'); calls.push(args); return args.length; },
      fail: () => { throw new Error('handler failed'); },
    }));
    return b;
  });
  const connections = Math.max(20, Math.floor(CASES / 30));
  let closedByServer = 0;
  try {
    for (let c = 0; c < connections; c++) {
      const socket = connect(srv.port, '127.0.0.1');
      socket.on('error', () => {});
      socket.resume(); // read (and drop) the answers, so the close is seen
      const closed = once(socket, 'close');
      await once(socket, 'connect');
      if (g.int(5)) socket.write(encodeBanana(g.pick(['pb', 'pb', 'pb', 'none', 'xml']), { vocabulary: false }));
      for (let i = 0, n = 5 + g.int(30); i < n && !socket.destroyed; i++) {
        const r = g.int(10);
        let bytes: Buffer;
        if (r < 4) bytes = encodeBanana(['message', i, g.pick<BananaInput>(['root', 'root', 1, 'nope']), g.pick(['take', 'take', 'fail', 'missing']), g.int(2), ['tuple', g.sexp(), g.sexp()], g.int(3) ? ['dictionary'] : g.sexp()], { vocabulary: true });
        else if (r < 6) bytes = encodeBanana(g.sexp(), { vocabulary: true });
        else if (r < 8) bytes = g.mutated();
        else bytes = g.randomBytes();
        socket.write(bytes);
      }
      // Whatever happened, end our side; the server must let the connection go.
      const timer = setTimeout(() => socket.end(), 50);
      await closed;
      clearTimeout(timer);
      const info = await srv.brokers[c]!.closed;
      if (info.error) closedByServer++;
    }
    // After all that, a clean client is served as usual.
    const socket = connect(srv.port, '127.0.0.1');
    const client = new Broker(socket, { role: 'client' });
    await client.ready;
    assert.equal(await client.remoteForName('root').callRemote('take', 1, 'two', new Referenceable({})), 3);
    client.close();
    socket.destroy();
  } finally {
    await srv.close();
  }
  assert.ok(closedByServer > 0 && calls.length > 0, `some connections were closed for cause (${closedByServer}) and some calls got through (${calls.length})`);
});
