/**
 * `protocols.pb`, Buildbot's key for its PB worker port. On by default, because every Buildbot
 * worker created without `--protocol` speaks PB: absent (or an object, even `{}`) serves PB; `null`
 * or `false` turns it off. Its port defaults to the WebSocket worker port, which then serves both
 * protocols on one listener (workers/pb/shared-port.ts); a different port gets a listener of its own.
 */
import type { PbServerOptions } from '../workers/options.js';
import { describe, isPlainObject, knownKeys, num, port, type Obj } from '../model/config-checks.js';
import type { IssueCollector } from '../model/config-errors.js';

export const PB_KEYS = ['port', 'silenceMs', 'handshakeTimeoutMs', 'maxElementSize', 'maxInflightCalls'] as const;

export type PbProtocolConfig = Readonly<PbServerOptions> & { readonly port: number };

/** `c` is the collector at `protocols`. */
export function normalisePbProtocol(c: IssueCollector, protocols: Obj, workerPort: number): PbProtocolConfig | null {
  const raw = protocols.pb === undefined ? {} : protocols.pb;
  if (raw === null || raw === false) return null;
  if (!isPlainObject(raw)) {
    c.add('pb', `must be an object { port, ... } (absent: PB on the worker port), or null or false for no PB, got ${describe(raw)}`);
    return null;
  }
  const pc = c.at('pb');
  knownKeys(pc, raw, PB_KEYS);
  for (const k of ['silenceMs', 'handshakeTimeoutMs', 'maxElementSize', 'maxInflightCalls']) num(pc, raw, k, { fallback: 1, min: 1, integer: true });
  return { ...(raw as PbServerOptions), port: port(pc, raw, 'port', workerPort) };
}
