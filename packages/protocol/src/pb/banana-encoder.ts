/**
 * The banana encoder: the mirror of `banana-decoder.ts`. It refuses what a Twisted peer would
 * refuse to read (strings and lists above the element limit, integers beyond the prefix limit), so
 * a mastro peer never sends something that makes the other side drop the connection.
 */
import { BananaType, DEFAULT_PB_MAX_ELEMENT_SIZE, DEFAULT_PB_PREFIX_LIMIT, PB_VOCABULARY } from './constants.js';
import { PbErrorCodes, PbProtocolError } from './errors.js';

/** Forces a number to travel as a banana float (a JS number with an integral value is sent as an int). */
export class PbFloat {
  constructor(readonly value: number) {}
}

/**
 * What the encoder takes: byte strings (Buffer/Uint8Array, or a JS string meaning its UTF-8 bytes,
 * which is how jelly writes its type names), integers (number or bigint), floats (a non-integral
 * number or a PbFloat) and lists of these.
 */
export type BananaInput = Uint8Array | string | number | bigint | PbFloat | readonly BananaInput[];

export interface BananaEncodeOptions {
  /** Send the PB dialect's short strings as table numbers (true once the `pb` dialect is chosen). */
  vocabulary: boolean;
  /** @default 655360 (Twisted's SIZE_LIMIT) */
  maxElementSize?: number;
  /** @default 64 */
  prefixLimit?: number;
}

const VOCAB_INDEX = new Map(PB_VOCABULARY.map((word, i) => [word, i + 1]));
const SMALLEST_INT = -(2 ** 31);
const LARGEST_INT = 2 ** 31 - 1;
const TYPE_BYTES = Array.from({ length: 8 }, (_, i) => Buffer.from([0x80 + i]));

/** Encodes one expression. Throws PbProtocolError CANNOT_SEND for values a peer would refuse. */
export function encodeBanana(value: BananaInput, options: BananaEncodeOptions): Buffer {
  const out: Buffer[] = [];
  const maxElementSize = options.maxElementSize ?? DEFAULT_PB_MAX_ELEMENT_SIZE;
  const prefixLimit = options.prefixLimit ?? DEFAULT_PB_PREFIX_LIMIT;
  const largestLong = (1n << BigInt(prefixLimit * 7)) - 1n;

  const header = (n: number | bigint, type: number): void => {
    out.push(base128(n), TYPE_BYTES[type - 0x80]!);
  };
  const bytes = (b: Uint8Array, asText: string | null): void => {
    if (options.vocabulary) {
      const index = VOCAB_INDEX.get(asText ?? (b.length <= 13 ? Buffer.from(b).toString('latin1') : ''));
      if (index !== undefined) return header(index, BananaType.VOCAB);
    }
    if (b.length > maxElementSize) throw new PbProtocolError(PbErrorCodes.CANNOT_SEND, { what: `a string of ${b.length} bytes`, detail: `the peer accepts at most ${maxElementSize} (maxElementSize); send it in smaller blocks` });
    header(b.length, BananaType.STRING);
    out.push(Buffer.from(b.buffer, b.byteOffset, b.length));
  };
  const integer = (n: number | bigint): void => {
    const big = typeof n === 'bigint' ? n : null;
    const magnitude = big !== null ? (big < 0n ? -big : big) : Math.abs(n as number);
    if ((big !== null ? magnitude : BigInt(magnitude as number)) > largestLong) {
      throw new PbProtocolError(PbErrorCodes.CANNOT_SEND, { what: `the integer ${n}`, detail: `PB integers are limited to ${prefixLimit * 7} bits` });
    }
    const value = Number(n);
    if (value < SMALLEST_INT) header(magnitude, BananaType.LONGNEG);
    else if (value < 0) header(magnitude, BananaType.NEG);
    else if (value <= LARGEST_INT) header(magnitude, BananaType.INT);
    else header(magnitude, BananaType.LONGINT);
  };
  const float = (x: number): void => {
    const body = Buffer.allocUnsafe(8);
    body.writeDoubleBE(x, 0);
    out.push(TYPE_BYTES[BananaType.FLOAT - 0x80]!, body);
  };
  const visit = (v: BananaInput): void => {
    if (typeof v === 'string') return bytes(Buffer.from(v, 'utf8'), v);
    if (typeof v === 'bigint') return integer(v);
    if (typeof v === 'number') return Number.isSafeInteger(v) ? integer(v) : float(v);
    if (v instanceof PbFloat) return float(v.value);
    if (v instanceof Uint8Array) return bytes(v, null);
    if (Array.isArray(v)) {
      if (v.length > maxElementSize) throw new PbProtocolError(PbErrorCodes.CANNOT_SEND, { what: `a list of ${v.length} elements`, detail: `the peer accepts at most ${maxElementSize} (maxElementSize)` });
      header(v.length, BananaType.LIST);
      for (const item of v) visit(item);
      return;
    }
    throw new PbProtocolError(PbErrorCodes.CANNOT_SEND, { what: describe(v), detail: 'banana carries only lists, byte strings, integers and floats' });
  };
  visit(value);
  return Buffer.concat(out);
}

/** The base-128 digits of a non-negative integer, least significant first; 0 is one zero byte. */
function base128(n: number | bigint): Buffer {
  if (typeof n === 'number' && n <= Number.MAX_SAFE_INTEGER) {
    if (n === 0) return Buffer.from([0]);
    const digits: number[] = [];
    while (n > 0) { digits.push(n % 128); n = Math.floor(n / 128); }
    return Buffer.from(digits);
  }
  let big = BigInt(n);
  if (big === 0n) return Buffer.from([0]);
  const digits: number[] = [];
  while (big > 0n) { digits.push(Number(big & 0x7fn)); big >>= 7n; }
  return Buffer.from(digits);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object of class ${(v as object).constructor?.name ?? 'Object'}`;
  return `a value of type ${typeof v}`;
}
