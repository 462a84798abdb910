/**
 * Banana framing against Twisted's own implementation (Debian's python3-twisted): what we encode,
 * Twisted decodes to the same value and vice versa; every split of the bytes decodes the same; and
 * every limit refuses its input before buffering it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BananaDecoder, type BananaValue } from '../src/pb/banana-decoder.js';
import { PbFloat, encodeBanana, type BananaInput } from '../src/pb/banana-encoder.js';
import { ByteQueue } from '../src/pb/byte-queue.js';
import { DEFAULT_PB_MAX_ELEMENT_SIZE, PB_VOCABULARY } from '../src/pb/constants.js';
import { PbErrorCodes, PbProtocolError } from '../src/pb/errors.js';
import { refused } from './support/pb-assert.js';
import { T, twisted, type Tagged } from './support/twisted.js';
import type { Tagged as BaseTagged } from '../scripts/pb-tagged.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

function decodeAll(bytes: Buffer, chunks: number[] | null = null, dialect: 'pb' | 'none' | null = 'pb', limits = {}): BananaValue[] {
  const decoder = new BananaDecoder(limits);
  decoder.dialect = dialect;
  const out: BananaValue[] = [];
  if (!chunks) decoder.push(bytes, (v) => out.push(v));
  else {
    let at = 0;
    for (const size of chunks) { decoder.push(bytes.subarray(at, at + size), (v) => out.push(v)); at += size; }
    decoder.push(bytes.subarray(at), (v) => out.push(v));
  }
  return out;
}

function decodeOne(bytes: Buffer, dialect: 'pb' | 'none' | null = 'pb', limits = {}): BananaValue {
  const out = decodeAll(bytes, null, dialect, limits);
  assert.equal(out.length, 1);
  return out[0]!;
}

/** A banana value as the tagged form Twisted's helper speaks (ints as ints, floats as floats). */
function tag(v: BananaInput): BaseTagged {
  if (typeof v === 'string') return T.b(v);
  if (v instanceof Uint8Array) return T.b(Buffer.from(v));
  if (typeof v === 'bigint') return T.i(v);
  if (typeof v === 'number') return Number.isSafeInteger(v) ? T.i(v) : T.f(v);
  if (v instanceof PbFloat) return T.f(v.value);
  return T.l(...(v as BananaInput[]).map(tag));
}

function untag(t: Tagged): BananaValue {
  if ('b' in t) return Buffer.from(t.b, 'hex');
  if ('i' in t) { const n = BigInt(t.i); return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n; }
  if ('f' in t) return t.f === 'nan' ? NaN : t.f === 'inf' ? Infinity : t.f === '-inf' ? -Infinity : Number(t.f);
  if ('l' in t) return t.l.map(untag);
  throw new Error(`unexpected tagged value ${JSON.stringify(t)}`);
}

const SAMPLES: BananaInput[] = [
  0, 1, 127, 128, 255, 16383, 16384, 2 ** 31 - 1, 2 ** 31, 2 ** 53 - 1, -1, -127, -128, -(2 ** 31), -(2 ** 31) - 1, -(2 ** 53) + 1,
  2n ** 64n, -(2n ** 64n), 2n ** 447n, -(2n ** 447n) + 1n,
  0.5, -2.25, 1e300, -1e-300, NaN, Infinity, -Infinity, new PbFloat(3),
  '', 'x', 'hello world', Buffer.from([0, 0x80, 0xff, 0x81]), Buffer.alloc(1000, 7),
  ...PB_VOCABULARY, 'None ', 'lists', 'message\0',
  [], [[]], [[], [[], []]], ['list', 1, 'a', [2, 'b', [3.5]]], Array.from({ length: 300 }, (_, i) => i * 1000),
];

test('what we encode, Twisted decodes to the same value, in both dialects', () => {
  for (const dialect of ['pb', 'none'] as const) {
    const hexes = SAMPLES.map((v) => encodeBanana(v, { vocabulary: dialect === 'pb' }).toString('hex'));
    const decoded = twisted<Tagged>('banana-decode', hexes.map((hex) => ({ hex, dialect })));
    decoded.forEach((d, i) => { assert.deepEqual(d, tag(SAMPLES[i]!), `sample ${i} in dialect ${dialect}: ${JSON.stringify(d)}`); });
  }
});

test('our encoding is byte for byte Twisted\'s, short strings included in the pb dialect', () => {
  for (const dialect of ['pb', 'none'] as const) {
    const ours = SAMPLES.map((v) => encodeBanana(v, { vocabulary: dialect === 'pb' }).toString('hex'));
    const theirs = twisted<string>('banana-encode', SAMPLES.map((v) => ({ value: tag(v), dialect })));
    assert.deepEqual(ours, theirs, dialect);
  }
  // The pb dialect sends 'message' as one table number: 26 (0x1a) then the VOCAB type byte.
  assert.equal(encodeBanana('message', { vocabulary: true }).toString('hex'), '1a87');
});

test('what Twisted encodes, we decode to the same value', () => {
  const values = SAMPLES.map(tag);
  const hexes = twisted<string>('banana-encode', values.map((value) => ({ value, dialect: 'pb' })));
  hexes.forEach((hex, i) => {
    const decoded = decodeOne(Buffer.from(hex, 'hex'));
    const expected = untag(values[i]!);
    if (typeof expected === 'number' && Number.isNaN(expected)) assert.ok(Number.isNaN(decoded as number));
    else assert.deepEqual(decoded, expected, `sample ${i}`);
  });
});

test('a stream decodes to the same expressions whatever way its bytes are split', () => {
  const stream = Buffer.concat(SAMPLES.filter((v) => !(typeof v === 'number' && Number.isNaN(v))).map((v) => encodeBanana(v, { vocabulary: true })));
  const whole = decodeAll(stream);
  assert.equal(whole.length, SAMPLES.length - 1);
  assert.deepEqual(decodeAll(stream, Array(stream.length).fill(1)), whole, 'one byte at a time');
  const rand = seededRandom(0xba7a7a);
  for (let run = 0; run < 200; run++) {
    const chunks: number[] = [];
    for (let left = stream.length; left > 0;) { const n = 1 + Math.floor(rand() * Math.min(left, 64)); chunks.push(n); left -= n; }
    assert.deepEqual(decodeAll(stream, chunks), whole, `run ${run}: ${chunks.join(',')}`);
  }
});

test('a string of the element limit trickled one byte at a time is copied once, when complete', () => {
  const body = Buffer.alloc(DEFAULT_PB_MAX_ELEMENT_SIZE, 0x61);
  const bytes = encodeBanana(body, { vocabulary: true });
  const decoder = new BananaDecoder();
  decoder.dialect = 'pb';
  const out: BananaValue[] = [];
  for (let i = 0; i < bytes.length; i++) decoder.push(bytes.subarray(i, i + 1), (v) => out.push(v));
  assert.equal(out.length, 1);
  assert.ok(Buffer.isBuffer(out[0]) && out[0].equals(body));
  assert.equal(decoder.buffered, 0);
  const q = new ByteQueue();
  for (const b of [Buffer.from('ab'), Buffer.from('c'), Buffer.from('def')]) q.push(b);
  assert.equal(q.byteAt(3), 0x64);
  assert.equal(q.take(4).toString(), 'abcd');
  assert.equal(q.take(2).toString(), 'ef');
  assert.equal(q.length, 0);
});

test('a string or list above Twisted\'s 640 KiB element limit is refused from its header, before its body arrives', () => {
  const header = (n: number, type: number) => Buffer.concat([encodeBanana(n, { vocabulary: false }).subarray(0, -1), Buffer.from([type])]);
  refused(() => decodeAll(header(DEFAULT_PB_MAX_ELEMENT_SIZE + 1, 0x82)), PbErrorCodes.ELEMENT_TOO_LARGE, /string of 655361/);
  refused(() => decodeAll(header(DEFAULT_PB_MAX_ELEMENT_SIZE + 1, 0x80)), PbErrorCodes.ELEMENT_TOO_LARGE, /list of 655361/);
  // Twisted refuses the same headers.
  const theirs = twisted<Tagged>('banana-decode', [header(DEFAULT_PB_MAX_ELEMENT_SIZE + 1, 0x82), header(DEFAULT_PB_MAX_ELEMENT_SIZE + 1, 0x80)].map((b) => ({ hex: b.toString('hex'), dialect: 'pb' })));
  for (const t of theirs) assert.match((t as { error: string }).error, /Security precaution/);
  // The limit is an option.
  refused(() => decodeAll(encodeBanana('x'.repeat(11), { vocabulary: false }), null, 'pb', { maxElementSize: 10 }), PbErrorCodes.ELEMENT_TOO_LARGE);
  assert.deepEqual(decodeAll(encodeBanana('x'.repeat(10), { vocabulary: false }), null, 'pb', { maxElementSize: 10 }), [Buffer.from('x'.repeat(10))]);
});

test('a header longer than the 64-byte prefix limit is refused, even before its type byte arrives', () => {
  refused(() => decodeAll(Buffer.alloc(65, 1)), PbErrorCodes.PREFIX_TOO_LONG, /longer than 64 bytes/);
  assert.deepEqual(decodeAll(Buffer.alloc(64, 1)), [], 'a 64-byte header may still be completed');
  refused(() => decodeAll(Buffer.concat([Buffer.alloc(65, 1), Buffer.from([0x81])])), PbErrorCodes.PREFIX_TOO_LONG);
  const [theirs] = twisted<Tagged>('banana-decode', [{ hex: Buffer.alloc(65, 1).toString('hex'), dialect: 'pb' }]);
  assert.match((theirs as { error: string }).error, /more than 64 bytes of prefix/);
});

test('nesting, element count and expression size are bounded by options', () => {
  const nested = (depth: number): BananaInput => (depth === 0 ? 1 : [nested(depth - 1)]);
  assert.equal(decodeAll(encodeBanana(nested(64), { vocabulary: true })).length, 1);
  refused(() => decodeAll(encodeBanana(nested(65), { vocabulary: true })), PbErrorCodes.TOO_DEEP, /deeper than 64/);
  refused(() => decodeAll(encodeBanana(nested(5), { vocabulary: true }), null, 'pb', { maxDepth: 4 }), PbErrorCodes.TOO_DEEP);
  refused(() => decodeAll(encodeBanana([1, 2, 3, 4], { vocabulary: true }), null, 'pb', { maxItems: 4 }), PbErrorCodes.TOO_MANY_ITEMS);
  assert.equal(decodeAll(encodeBanana([1, 2, 3], { vocabulary: true }), null, 'pb', { maxItems: 4 }).length, 1);
  const big = encodeBanana(['x'.repeat(600), 'y'.repeat(600)], { vocabulary: true });
  refused(() => decodeAll(big, null, 'pb', { maxExpressionSize: 1000 }), PbErrorCodes.EXPRESSION_TOO_LARGE, /larger than 1000 bytes/);
  // The counts start again with each expression.
  const two = Buffer.concat([encodeBanana([1, 2, 3], { vocabulary: true }), encodeBanana([1, 2, 3], { vocabulary: true })]);
  assert.equal(decodeAll(two, null, 'pb', { maxItems: 4 }).length, 2);
});

test('unknown type bytes, short strings outside the pb dialect and unknown table numbers are refused', () => {
  refused(() => decodeAll(Buffer.from([0x01, 0x88])), PbErrorCodes.BAD_ELEMENT, /unknown type byte 0x88/);
  refused(() => decodeAll(Buffer.from([0x1a, 0x87]), null, null), PbErrorCodes.BAD_ELEMENT, /outside the pb dialect/);
  refused(() => decodeAll(Buffer.from([0x1a, 0x87]), null, 'none'), PbErrorCodes.BAD_ELEMENT, /outside the pb dialect/);
  refused(() => decodeAll(Buffer.from([0x20, 0x87])), PbErrorCodes.BAD_ELEMENT, /number 32 is not in the PB table/);
  refused(() => decodeAll(Buffer.from([0x00, 0x87])), PbErrorCodes.BAD_ELEMENT, /number 0/);
  // A decoder that failed stays failed: a broken stream cannot be resynchronised.
  const decoder = new BananaDecoder();
  assert.throws(() => decoder.push(Buffer.from([0x01, 0x99]), () => {}));
  assert.throws(() => decoder.push(encodeBanana(1, { vocabulary: false }), () => assert.fail('decoded after a failure')), PbProtocolError);
});

test('the encoder refuses what a Twisted peer would refuse to read', () => {
  refused(() => encodeBanana(Buffer.alloc(DEFAULT_PB_MAX_ELEMENT_SIZE + 1), { vocabulary: true }), PbErrorCodes.CANNOT_SEND, /smaller blocks/);
  refused(() => encodeBanana(Array(DEFAULT_PB_MAX_ELEMENT_SIZE + 1).fill(0), { vocabulary: true }), PbErrorCodes.CANNOT_SEND);
  refused(() => encodeBanana(2n ** 448n, { vocabulary: true }), PbErrorCodes.CANNOT_SEND, /448 bits/);
  refused(() => encodeBanana({} as unknown as BananaInput, { vocabulary: true }), PbErrorCodes.CANNOT_SEND);
  assert.equal(encodeBanana(2n ** 448n - 1n, { vocabulary: true }).length, 65);
});
