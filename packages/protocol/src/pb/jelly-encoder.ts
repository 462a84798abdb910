/**
 * Jelly, sending side: JavaScript values to the s-expressions Twisted's `unjelly` rebuilds.
 *
 *   null/undefined -> ['None']            boolean -> ['boolean', 'true'|'false']
 *   number, bigint -> the number          string  -> ['unicode', <UTF-8 bytes>]
 *   Buffer/Uint8Array -> the bytes        array   -> ['list', ...]     PbTuple -> ['tuple', ...]
 *   plain object, Map -> ['dictionary', [key, value], ...]           Set -> ['set', ...]
 *   Referenceable -> ['remote', id]       a RemoteReference of this connection -> ['local', id]
 *   PbCopy -> [typeName, state]           PbFailure -> a twisted.spread.pb.CopyableFailure copy
 *
 * A container met twice (shared, or a cycle) is sent once as ['reference', n, ...] and then as
 * ['dereference', n], as Twisted does, so cycles terminate and sharing survives the trip.
 */
import { PbFloat, type BananaInput } from './banana-encoder.js';
import { PbErrorCodes, PbProtocolError } from './errors.js';
import { PbFailure } from './failure.js';
import { PbCopy, PbTuple, Unpersistable } from './jelly-types.js';
import { Referenceable, RemoteReference } from './referenceable.js';

export interface JellyContext {
  /** Lends a Referenceable to the peer; returns the id it travels under. */
  lend(object: Referenceable): number;
  /** The peer's id for `ref` when it belongs to this connection, else null (it cannot be sent here). */
  ownTarget(ref: RemoteReference): number | string | null;
}

type Sexp = BananaInput[];

interface Seen {
  /** The expression returned for the container (rewritten in place if it is met again later). */
  out: Sexp | null;
  id: number | null;
}

export function jelly(value: unknown, context: JellyContext | null = null): BananaInput {
  const seen = new Map<object, Seen>();
  let nextId = 1;

  /** Gives `record` a reference id; a finished container's expression becomes ['reference', id, ...] in place. */
  const idOf = (record: Seen): number => {
    if (record.id === null) {
      record.id = nextId++;
      if (record.out) {
        const body = record.out.splice(0);
        record.out.push('reference', record.id, body);
      }
    }
    return record.id;
  };

  const container = (object: object, build: () => Sexp): Sexp => {
    const known = seen.get(object);
    if (known) return ['dereference', idOf(known)];
    const record: Seen = { out: null, id: null };
    seen.set(object, record);
    const body = build();
    // Met again while its own contents were built: a cycle, so it is defined by reference here.
    const out: Sexp = record.id === null ? body : ['reference', record.id, body];
    record.out = out;
    return out;
  };

  const visit = (v: unknown): BananaInput => {
    if (v === null || v === undefined) return ['None'];
    switch (typeof v) {
      case 'boolean': return ['boolean', v ? 'true' : 'false'];
      case 'number': case 'bigint': return v;
      case 'string': return ['unicode', Buffer.from(v, 'utf8')];
      case 'object': break;
      default: throw cannotSend(`a ${typeof v}`, 'only data, Referenceables and PbCopy values can be sent');
    }
    if (v instanceof Uint8Array) return v;
    if (v instanceof PbFloat) return v;
    if (v instanceof Referenceable) {
      if (!context) throw cannotSend('a Referenceable', 'references need a broker to lend them');
      return ['remote', context.lend(v)];
    }
    if (v instanceof RemoteReference) {
      const target = context?.ownTarget(v) ?? null;
      if (target === null) throw cannotSend('a RemoteReference', 'it belongs to another connection');
      return ['local', typeof target === 'number' ? target : Buffer.from(target, 'utf8')];
    }
    if (v instanceof PbFailure) return visit(v.toCopy());
    if (v instanceof Unpersistable) return ['unpersistable', Buffer.from(v.reason, 'utf8')];
    if (Array.isArray(v)) return container(v, () => ['list', ...v.map(visit)]);
    if (v instanceof PbTuple) return container(v, () => ['tuple', ...v.items.map(visit)]);
    if (v instanceof PbCopy) return container(v, () => [v.typeName, visit(v.state)]);
    if (v instanceof Map) return container(v, () => ['dictionary', ...[...v].map(([key, item]) => [visit(key), visit(item)])]);
    if (v instanceof Set) return container(v, () => ['set', ...[...v].map(visit)]);
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      return container(v, () => ['dictionary', ...Object.entries(v).map(([key, item]) => [visit(key), visit(item)])]);
    }
    throw cannotSend(`an object of class ${(v as object).constructor?.name ?? 'unknown'}`, 'send plain data, or wrap it in a PbCopy');
  };

  return visit(value);
}

function cannotSend(what: string, detail: string): PbProtocolError {
  return new PbProtocolError(PbErrorCodes.CANNOT_SEND, { what, detail });
}
