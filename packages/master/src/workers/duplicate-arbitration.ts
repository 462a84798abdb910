/**
 * Duplicate worker names: when a worker connects under a name that already has a connection, the
 * old one is pinged. A live old connection keeps its place (the newcomer is refused, so two hosts
 * misconfigured with one name cannot steal each other's builds); a dead one (no answer within the
 * timeout, e.g. a half-open TCP connection after a network cut) is replaced by the newcomer.
 */
import type { RemoteWorker } from './types.js';

/** Resolves true when the old connection failed to answer and should give way to the newcomer. */
export async function oldConnectionYields(existing: Pick<RemoteWorker, 'ping'>, timeoutMs: number): Promise<boolean> {
  return !(await existing.ping(timeoutMs));
}
