/**
 * Frame codec. A binary WebSocket frame carries one msgpack map, a text frame one JSON object; both
 * carry the same messages. Python's `msgpack` must read what we write, so the packer writes plain
 * msgpack only: maps (no msgpackr records), str for strings, bin for bytes, and real integers.
 *
 * JSON has no bytes type, so a binary value (file blocks of `update_upload_file_write`, the result
 * of `update_read_file`, ...) travels as `{"$binary": "<base64>"}` and decodes back to a Buffer.
 */
import { Packr, Unpackr, type Options as PackrOptions } from 'msgpackr';
import { ErrorCodes, ProtocolError } from './errors.js';

export type Encoding = 'msgpack' | 'json';

/** The JSON stand-in for a bytes value. */
export const BINARY_KEY = '$binary';

// `skipValues` exists at runtime (msgpackr >= 1.10) but is missing from its type declarations.
const packrOptions: PackrOptions & { skipValues: unknown[] } = {
  useRecords: false,
  // Plain maps with 8/16/32-bit sizes like every other msgpack implementation writes.
  variableMapSize: true,
  // A field holding `undefined` is absent (as in JSON); `undefined` inside an array becomes nil.
  skipValues: [undefined],
  encodeUndefinedAsNil: true,
};
const packr = new Packr(packrOptions);

const unpackr = new Unpackr({
  useRecords: false,
  mapsAsObjects: true,
  // Python sends int64 for big values (inode numbers, byte counts); a JS number is what schemas expect.
  int64AsType: 'number',
});

const INT32_MIN = -0x8000_0000;
const UINT32_MAX = 0xffff_ffff;

function needsInt64(value: number): boolean {
  return Number.isSafeInteger(value) && (value > UINT32_MAX || value < INT32_MIN);
}

/**
 * msgpackr writes integers beyond 32 bits as float64; Python would then see `4294967296.0`, which
 * breaks `fp.read(n)` and similar. Rewrites such numbers as BigInt (packed as int64/uint64), copying
 * only the containers on the path to a changed value.
 */
function withWireIntegers(value: unknown): unknown {
  if (typeof value === 'number') return needsInt64(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const fixed = withWireIntegers(item);
      if (fixed !== item) (copy ??= value.slice())[i] = fixed;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const fixed = withWireIntegers(item);
    if (fixed !== item) (copy ??= { ...record })[key] = fixed;
  }
  return copy ?? value;
}

function jsonReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `this[key]` is the raw value: Buffer#toJSON has already run on `value`.
  const raw = this[key];
  if (raw instanceof Uint8Array) {
    return { [BINARY_KEY]: Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64') };
  }
  if (typeof raw === 'bigint') return Number(raw);
  return value;
}

function jsonReviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    const encoded = record[BINARY_KEY];
    if (typeof encoded === 'string' && Object.keys(record).length === 1) return Buffer.from(encoded, 'base64');
  }
  return value;
}

/** Encodes one message: a Buffer (binary frame) for msgpack, a string (text frame) for JSON. */
export function encodeMessage(msg: Record<string, unknown>, encoding: Encoding): Buffer | string {
  const op = typeof msg.op === 'string' ? msg.op : '?';
  try {
    if (encoding === 'json') return JSON.stringify(msg, jsonReplacer);
    return packr.pack(withWireIntegers(msg));
  } catch (err) {
    throw new ProtocolError(ErrorCodes.ENCODE_FAILED, { op, encoding, detail: (err as Error).message }, { cause: err });
  }
}

/**
 * Decodes one frame into a message object. Throws ProtocolError BAD_FRAME when the bytes are not
 * exactly one msgpack value / one JSON document, or when that value is not a map/object.
 */
export function decodeMessage(data: Buffer | string, isBinary: boolean): Record<string, unknown> {
  const encoding: Encoding = isBinary ? 'msgpack' : 'json';
  let value: unknown;
  try {
    if (isBinary) {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      if (bytes.length === 0) throw new Error('empty frame');
      value = unpackr.unpack(bytes);
    } else {
      const text = typeof data === 'string' ? data : data.toString('utf8');
      // The reviver costs a call per value: only pay it when the frame carries bytes.
      value = text.includes(`"${BINARY_KEY}"`) ? JSON.parse(text, jsonReviver) : JSON.parse(text);
    }
  } catch (err) {
    throw new ProtocolError(ErrorCodes.BAD_FRAME, { encoding, detail: describeDecodeError(err) }, { cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || ArrayBuffer.isView(value) || value instanceof Date) {
    throw new ProtocolError(ErrorCodes.BAD_FRAME, { encoding, detail: `top-level value is ${describeValue(value)}, not a map` });
  }
  return value as Record<string, unknown>;
}

function describeDecodeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // msgpackr reports a truncated buffer as a DataView range error.
  if (/outside the bounds|end of MessagePack data|Unexpected end/i.test(message)) return `truncated data (${message})`;
  return message;
}

function describeValue(value: unknown): string {
  if (value === null) return 'nil';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return 'binary data';
  if (value instanceof Date) return 'a timestamp';
  return `a ${typeof value}`;
}
