/**
 * Jelly, receiving side: s-expressions from the peer to JavaScript values (the mirror of
 * `jelly-encoder.ts`). Only the types listed below are accepted; a copy (an object sent by value)
 * is rebuilt only when the allow-list names its type, by the factory the allow-list gives, and
 * nothing else is ever instantiated from the wire. Everything else is refused with INSECURE_JELLY.
 *
 *   ['None'] -> null      ['boolean', 'true'|'false'] -> boolean   ['unicode', bytes] -> string
 *   bytes -> Buffer       numbers -> number (bigint beyond 2^53)
 *   ['list'|'tuple', ...] -> array     ['set'|'frozenset', ...] -> Set
 *   ['dictionary', [k, v], ...] -> object (text, bytes and number keys, as strings)
 *   ['reference', n, x] / ['dereference', n] -> the same object again (shared or cyclic)
 *   ['remote', id] -> RemoteReference  ['local', id] -> this side's own object
 *   ['unpersistable', reason] -> Unpersistable     [typeName, state] -> allow-list factory(state)
 */
import { DEFAULT_PB_MAX_DEPTH, DEFAULT_PB_MAX_ITEMS } from './constants.js';
import type { BananaValue } from './banana-decoder.js';
import { PbErrorCodes, PbProtocolError } from './errors.js';
import { Unpersistable, type CopyableFactory } from './jelly-types.js';

export interface UnjellyContext {
  /** A reference to the peer's object `id` (the broker counts it, to release it later). */
  remote?(id: number): unknown;
  /** This side's own object `id`, sent back by the peer. */
  local?(id: number | string): unknown;
  /** Copyable types this side accepts, by their Python type name. */
  copyables?: ReadonlyMap<string, CopyableFactory>;
  /** @default 64 */
  maxDepth?: number;
  /** @default 1000000 */
  maxItems?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function unjelly(expression: BananaValue, context: UnjellyContext = {}): unknown {
  const maxDepth = context.maxDepth ?? DEFAULT_PB_MAX_DEPTH;
  const maxItems = context.maxItems ?? DEFAULT_PB_MAX_ITEMS;
  const copyables = context.copyables ?? new Map<string, CopyableFactory>();
  const references = new Map<number, unknown>();
  let items = 0;

  const bad = (detail: string) => new PbProtocolError(PbErrorCodes.BAD_JELLY, { detail });
  const arity = (e: BananaValue[], n: number, name: string) => {
    if (e.length !== n) throw bad(`['${name}', ...] takes ${n - 1} value${n === 2 ? '' : 's'}, got ${e.length - 1}`);
  };
  const refId = (v: BananaValue | undefined, name: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(`the id of a ${name} must be an integer`);
    return v;
  };
  const text = (v: BananaValue | undefined, name: string): string => {
    if (!Buffer.isBuffer(v)) throw bad(`${name} must be a byte string`);
    try { return utf8.decode(v); } catch { throw bad(`${name} is not valid UTF-8`); }
  };
  /** Defines `id` once, for a container as soon as it exists (so a cycle finds it) or for any value when done. */
  const define = (id: number | undefined, value: unknown) => {
    if (id === undefined) return;
    if (references.has(id)) throw bad(`reference ${id} is defined twice`);
    references.set(id, value);
  };

  const visit = (e: BananaValue, depth: number, id?: number): unknown => {
    if (++items > maxItems) throw new PbProtocolError(PbErrorCodes.TOO_MANY_ITEMS, { limit: maxItems });
    if (depth > maxDepth) throw new PbProtocolError(PbErrorCodes.TOO_DEEP, { limit: maxDepth });
    if (!Array.isArray(e)) {
      define(id, e);
      return e;
    }
    const tag = e[0];
    if (!Buffer.isBuffer(tag)) throw bad(e.length ? 'a list must start with its type name (a byte string)' : 'an empty list has no type name');
    const name = tag.toString('latin1');
    switch (name) {
      case 'None': arity(e, 1, name); define(id, null); return null;
      case 'unicode': { arity(e, 2, name); const s = text(e[1], 'unicode text'); define(id, s); return s; }
      case 'boolean': {
        arity(e, 2, name);
        const word = Buffer.isBuffer(e[1]) ? e[1].toString('latin1') : '';
        if (word !== 'true' && word !== 'false') throw bad("a boolean must be 'true' or 'false'");
        define(id, word === 'true');
        return word === 'true';
      }
      case 'list': case 'tuple': {
        const out: unknown[] = [];
        define(id, out);
        for (let i = 1; i < e.length; i++) out.push(visit(e[i]!, depth + 1));
        return out;
      }
      case 'set': case 'frozenset': {
        const out = new Set<unknown>();
        define(id, out);
        for (let i = 1; i < e.length; i++) out.add(visit(e[i]!, depth + 1));
        return out;
      }
      case 'dictionary': {
        const out: Record<string, unknown> = {};
        define(id, out);
        for (let i = 1; i < e.length; i++) {
          const pair = e[i]!;
          if (!Array.isArray(pair) || pair.length !== 2) throw bad('a dictionary entry must be a [key, value] pair');
          const key = dictionaryKey(visit(pair[0]!, depth + 2), bad);
          // defineProperty: a key such as "__proto__" becomes an own property, never the prototype.
          Object.defineProperty(out, key, { value: visit(pair[1]!, depth + 2), enumerable: true, writable: true, configurable: true });
        }
        return out;
      }
      case 'reference': {
        arity(e, 3, name);
        const n = refId(e[1], name);
        if (references.has(n)) throw bad(`reference ${n} is defined twice`);
        const value = visit(e[2]!, depth + 1, n);
        if (!references.has(n)) references.set(n, value);
        return value;
      }
      case 'dereference': {
        arity(e, 2, name);
        const n = refId(e[1], name);
        if (!references.has(n)) throw bad(`dereference ${n} before its reference is complete (only lists, tuples, sets and dictionaries may refer to themselves)`);
        const value = references.get(n);
        define(id, value);
        return value;
      }
      case 'remote': {
        arity(e, 2, name);
        if (!context.remote) throw new PbProtocolError(PbErrorCodes.INSECURE_JELLY, { type: 'remote', allowed: allowedList(copyables) });
        const value = context.remote(refId(e[1], name));
        define(id, value);
        return value;
      }
      case 'local': {
        arity(e, 2, name);
        const target = e[1];
        if (!context.local) throw new PbProtocolError(PbErrorCodes.INSECURE_JELLY, { type: 'local', allowed: allowedList(copyables) });
        const value = context.local(Buffer.isBuffer(target) ? text(target, 'a local name') : refId(target, name));
        define(id, value);
        return value;
      }
      case 'unpersistable': {
        arity(e, 2, name);
        const reason = Buffer.isBuffer(e[1]) ? e[1].toString('utf8') : String(visit(e[1]!, depth + 1));
        const value = new Unpersistable(reason);
        define(id, value);
        return value;
      }
      default: {
        const factory = copyables.get(name);
        if (!factory) throw new PbProtocolError(PbErrorCodes.INSECURE_JELLY, { type: name, allowed: allowedList(copyables) });
        arity(e, 2, name);
        const value = factory(visit(e[1]!, depth + 1));
        define(id, value);
        return value;
      }
    }
  };

  return visit(expression, 1);
}

function allowedList(copyables: ReadonlyMap<string, CopyableFactory>): string {
  return copyables.size ? [...copyables.keys()].join(', ') : '(none)';
}

/** Dictionary keys become strings: text as is, bytes as UTF-8 (as Buildbot decodes them), numbers in decimal. */
function dictionaryKey(key: unknown, bad: (detail: string) => PbProtocolError): string {
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key)) return key.toString('utf8');
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  throw bad(`a dictionary key of type ${key === null ? 'None' : Array.isArray(key) ? 'list/tuple' : typeof key} (keys must be text, bytes or numbers)`);
}
