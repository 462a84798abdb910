/**
 * The tagged JSON form PB vectors use for values, because JSON alone cannot tell Python's bytes from
 * its text, a tuple from a list, or an int from a float:
 *   {"b": hex} bytes   {"s": text} str   {"i": "123"} int (decimal, any size)   {"f": 1.5} float
 *   {"B": true} bool   {"n": 1} None   {"l": [...]} list   {"t": [...]} tuple   {"d": [[k, v], ...]} dict
 * Banana vectors use only b, i, f and l (banana knows nothing else).
 */
import { PbFloat, type BananaInput } from '../src/pb/banana-encoder.js';
import type { BananaValue } from '../src/pb/banana-decoder.js';
import { PbTuple } from '../src/pb/jelly-types.js';

export type Tagged =
  | { b: string } | { s: string } | { i: string } | { f: number | string } | { B: boolean } | { n: 1 }
  | { l: Tagged[] } | { t: Tagged[] } | { d: [Tagged, Tagged][] };

export const T = {
  b: (s: string | Buffer): Tagged => ({ b: Buffer.from(s).toString('hex') }),
  s: (s: string): Tagged => ({ s }),
  i: (n: number | bigint): Tagged => ({ i: String(n) }),
  f: (x: number): Tagged => ({ f: Number.isNaN(x) ? 'nan' : x === Infinity ? 'inf' : x === -Infinity ? '-inf' : x }),
  B: (v: boolean): Tagged => ({ B: v }),
  n: { n: 1 } as Tagged,
  l: (...xs: Tagged[]): Tagged => ({ l: xs }),
  t: (...xs: Tagged[]): Tagged => ({ t: xs }),
  d: (...kv: [Tagged, Tagged][]): Tagged => ({ d: kv }),
};

function integer(s: string): number | bigint {
  const n = BigInt(s);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

function float(f: number | string): number {
  return f === 'nan' ? NaN : f === 'inf' ? Infinity : f === '-inf' ? -Infinity : Number(f);
}

/** A banana-tagged value as encoder input. */
export function bananaInput(t: Tagged): BananaInput {
  if ('b' in t) return Buffer.from(t.b, 'hex');
  if ('i' in t) return integer(t.i);
  if ('f' in t) return new PbFloat(float(t.f));
  if ('l' in t) return t.l.map(bananaInput);
  throw new Error(`not a banana value: ${JSON.stringify(t)}`);
}

/** A decoded banana value as tagged (integers and floats told apart by the caller's encoding; here by type). */
export function bananaTagged(v: BananaValue, floats = false): Tagged {
  if (Buffer.isBuffer(v)) return T.b(v);
  if (typeof v === 'bigint') return T.i(v);
  if (typeof v === 'number') return floats || !Number.isInteger(v) ? T.f(v) : T.i(v);
  return T.l(...v.map((x) => bananaTagged(x, floats)));
}

/** A Python-tagged value as the JS value our jelly sends for it. */
export function jsValue(t: Tagged): unknown {
  if ('b' in t) return Buffer.from(t.b, 'hex');
  if ('s' in t) return t.s;
  if ('i' in t) return integer(t.i);
  if ('f' in t) return new PbFloat(float(t.f));
  if ('B' in t) return t.B;
  if ('n' in t) return null;
  if ('l' in t) return t.l.map(jsValue);
  if ('t' in t) return new PbTuple(...t.t.map(jsValue));
  if ('d' in t) return new Map(t.d.map(([k, v]) => [jsValue(k), jsValue(v)]));
  throw new Error(`unknown tag ${JSON.stringify(t)}`);
}
