/**
 * The banana decoder: turns the bytes of a PB connection into expressions (lists, byte strings,
 * integers, floats), whatever way the bytes are split. The mirror of `banana-encoder.ts`.
 *
 * An element is a base-128 header (least significant digit first, each byte below 0x80) followed by
 * a type byte (0x80 and above). For a string the header is its byte length and the bytes follow;
 * for a list it is the number of elements that follow; for integers it is the magnitude; a float
 * has an empty header and 8 bytes (big-endian IEEE 754 double) after its type byte.
 *
 * Every limit is checked before the bytes it guards are buffered or allocated, and every violation
 * is a PbProtocolError: the connection it came from ends, the process does not.
 */
import { BananaType, DEFAULT_PB_MAX_DEPTH, DEFAULT_PB_MAX_ELEMENT_SIZE, DEFAULT_PB_MAX_EXPRESSION_SIZE, DEFAULT_PB_MAX_ITEMS,
  DEFAULT_PB_PREFIX_LIMIT, PB_VOCABULARY, type BananaDialect } from './constants.js';
import { ByteQueue } from './byte-queue.js';
import { PbErrorCodes, PbProtocolError } from './errors.js';

/** A decoded banana value: byte strings are Buffers; integers beyond 2^53 are bigints. */
export type BananaValue = Buffer | number | bigint | BananaValue[];

export interface BananaLimits {
  /** Longest string (bytes) and longest list (elements) an element may declare. @default 655360 (Twisted's SIZE_LIMIT) */
  maxElementSize?: number;
  /** Bytes an element header may take. @default 64 (Twisted's prefix limit) */
  prefixLimit?: number;
  /** Nesting of lists in one expression. @default 64 */
  maxDepth?: number;
  /** Elements in one top-level expression. @default 1000000 */
  maxItems?: number;
  /** Bytes of one top-level expression. @default 16 MiB */
  maxExpressionSize?: number;
}

export type ResolvedBananaLimits = Required<BananaLimits>;

export function resolveBananaLimits(limits: BananaLimits = {}): ResolvedBananaLimits {
  const out = {
    maxElementSize: limits.maxElementSize ?? DEFAULT_PB_MAX_ELEMENT_SIZE,
    prefixLimit: limits.prefixLimit ?? DEFAULT_PB_PREFIX_LIMIT,
    maxDepth: limits.maxDepth ?? DEFAULT_PB_MAX_DEPTH,
    maxItems: limits.maxItems ?? DEFAULT_PB_MAX_ITEMS,
    maxExpressionSize: limits.maxExpressionSize ?? DEFAULT_PB_MAX_EXPRESSION_SIZE,
  };
  for (const [name, value] of Object.entries(out)) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`PB limit ${name} must be a positive integer, got ${value}`);
  }
  return out;
}

const VOCAB_BYTES = PB_VOCABULARY.map((word) => Buffer.from(word, 'latin1'));

interface OpenList { expected: number; items: BananaValue[] }

export class BananaDecoder {
  /**
   * The negotiated dialect; null until the handshake chose one. Short-string (VOCAB) elements are
   * only valid in the `pb` dialect, as in Twisted. The broker sets it from inside `onExpression`, so
   * it applies from the next element on, even within the same chunk.
   */
  dialect: BananaDialect | null = null;
  private readonly limits: ResolvedBananaLimits;
  private readonly queue = new ByteQueue();
  private readonly stack: OpenList[] = [];
  private items = 0;
  private bytes = 0;
  private failed: PbProtocolError | null = null;
  private waiting: { headerLength: number; type: number; bodyLength: number } | null = null;

  constructor(limits: BananaLimits = {}) {
    this.limits = resolveBananaLimits(limits);
  }

  /** Bytes received but not yet part of a complete element. */
  get buffered(): number { return this.queue.length; }

  /**
   * Feeds bytes; calls `onExpression` synchronously for each complete top-level expression, in
   * order. Throws a PbProtocolError on bad input (and keeps throwing it: a broken stream cannot be
   * resynchronised). An error thrown by `onExpression` propagates; the bytes after it stay queued.
   */
  push(chunk: Buffer, onExpression: (value: BananaValue) => void): void {
    if (this.failed) throw this.failed;
    this.queue.push(chunk);
    try {
      this.drain(onExpression);
    } catch (err) {
      if (err instanceof PbProtocolError && err.closes) this.failed = err;
      throw err;
    }
  }

  private drain(onExpression: (value: BananaValue) => void): void {
    const q = this.queue;
    const { prefixLimit, maxElementSize, maxExpressionSize } = this.limits;
    for (;;) {
      // An element whose header was read waits for its body: only the byte count needs checking.
      let next = this.waiting;
      if (!next) {
        let headerLength = 0;
        while (headerLength < q.length && q.byteAt(headerLength) < 0x80) {
          headerLength++;
          if (headerLength > prefixLimit) throw new PbProtocolError(PbErrorCodes.PREFIX_TOO_LONG, { limit: prefixLimit });
        }
        if (headerLength === q.length) return;
        const type = q.byteAt(headerLength);
        let bodyLength = 0;
        if (type === BananaType.STRING) {
          bodyLength = this.headerNumber(headerLength, 'string');
          if (bodyLength > maxElementSize) throw new PbProtocolError(PbErrorCodes.ELEMENT_TOO_LARGE, { kind: 'string', size: bodyLength, limit: maxElementSize });
        } else if (type === BananaType.FLOAT) {
          bodyLength = 8;
        } else if (type > BananaType.VOCAB) {
          throw new PbProtocolError(PbErrorCodes.BAD_ELEMENT, { detail: `unknown type byte 0x${type.toString(16)}` });
        }
        if (this.bytes + headerLength + 1 + bodyLength > maxExpressionSize) throw new PbProtocolError(PbErrorCodes.EXPRESSION_TOO_LARGE, { limit: maxExpressionSize });
        next = { headerLength, type, bodyLength };
      }
      const elementLength = next.headerLength + 1 + next.bodyLength;
      if (q.length < elementLength) {
        this.waiting = next;
        return;
      }
      this.waiting = null;
      this.bytes += elementLength;
      const header = q.take(next.headerLength);
      q.take(1);
      const body = next.type === BananaType.STRING || next.type === BananaType.FLOAT ? q.take(next.bodyLength) : null;
      this.element(next.type, header, body, onExpression);
    }
  }

  /** The header of the element at the front of the queue as a number (for lengths). */
  private headerNumber(headerLength: number, kind: string): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < headerLength; i++) {
      n += this.queue.byteAt(i) * scale;
      scale *= 128;
      // A length beyond 2^53 is over every limit anyway; stop before precision is lost.
      if (n > Number.MAX_SAFE_INTEGER / 2) throw new PbProtocolError(PbErrorCodes.ELEMENT_TOO_LARGE, { kind, size: 'more than 2^52', limit: this.limits.maxElementSize });
    }
    return n;
  }

  private element(type: number, header: Buffer, body: Buffer | null, onExpression: (value: BananaValue) => void): void {
    this.countItem();
    switch (type) {
      case BananaType.LIST: {
        const expected = safeNumber(header, 'list');
        if (expected > this.limits.maxElementSize) throw new PbProtocolError(PbErrorCodes.ELEMENT_TOO_LARGE, { kind: 'list', size: expected, limit: this.limits.maxElementSize });
        if (expected === 0) return this.complete([], onExpression);
        if (this.stack.length >= this.limits.maxDepth) throw new PbProtocolError(PbErrorCodes.TOO_DEEP, { limit: this.limits.maxDepth });
        this.stack.push({ expected, items: [] });
        return;
      }
      case BananaType.STRING: return this.complete(Buffer.from(body!), onExpression);
      case BananaType.INT:
      case BananaType.LONGINT: return this.complete(integer(header, false), onExpression);
      case BananaType.NEG:
      case BananaType.LONGNEG: return this.complete(integer(header, true), onExpression);
      case BananaType.FLOAT:
        if (header.length) throw new PbProtocolError(PbErrorCodes.BAD_ELEMENT, { detail: 'a float element with a header' });
        return this.complete(body!.readDoubleBE(0), onExpression);
      case BananaType.VOCAB: {
        if (this.dialect !== 'pb') throw new PbProtocolError(PbErrorCodes.BAD_ELEMENT, { detail: 'a short-string (VOCAB) element outside the pb dialect' });
        const index = safeNumber(header, 'vocabulary index');
        const word = VOCAB_BYTES[index - 1];
        if (index < 1 || !word) throw new PbProtocolError(PbErrorCodes.BAD_ELEMENT, { detail: `short-string number ${index} is not in the PB table (1-${VOCAB_BYTES.length})` });
        return this.complete(Buffer.from(word), onExpression);
      }
      default:
        throw new PbProtocolError(PbErrorCodes.BAD_ELEMENT, { detail: `unknown type byte 0x${type.toString(16)}` });
    }
  }

  private countItem(): void {
    if (++this.items > this.limits.maxItems) throw new PbProtocolError(PbErrorCodes.TOO_MANY_ITEMS, { limit: this.limits.maxItems });
  }

  /** A complete value: goes into the innermost open list, closing every list it completes. */
  private complete(value: BananaValue, onExpression: (value: BananaValue) => void): void {
    let item = value;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        this.items = 0;
        this.bytes = 0;
        onExpression(item);
        return;
      }
      top.items.push(item);
      if (top.items.length < top.expected) return;
      this.stack.pop();
      item = top.items;
    }
  }
}

/** A base-128 header as a non-negative number (lengths, indexes; bounded by the prefix limit first). */
function safeNumber(header: Buffer, kind: string): number {
  const n = integer(header, false);
  if (typeof n === 'bigint') throw new PbProtocolError(PbErrorCodes.ELEMENT_TOO_LARGE, { kind, size: n.toString(), limit: Number.MAX_SAFE_INTEGER });
  return n;
}

/** A base-128 header as an integer: a number when exact, else a bigint. */
function integer(header: Buffer, negative: boolean): number | bigint {
  if (header.length <= 7) {
    let n = 0;
    for (let i = header.length - 1; i >= 0; i--) n = n * 128 + header[i]!;
    return negative && n !== 0 ? -n : n;
  }
  let n = 0n;
  for (let i = header.length - 1; i >= 0; i--) n = (n << 7n) | BigInt(header[i]!);
  if (negative) n = -n;
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
