/**
 * Authentication happens on the WebSocket upgrade, as in Buildbot: the worker sends
 * `Authorization: Basic base64(name:password)` to `ws://master:9989/` (any path; Buildbot's worker
 * uses the root). A worker name may not contain a colon; the password may.
 */
import { DEFAULT_PORT } from './constants.js';

export function basicAuthHeader(name: string, password: string): string {
  if (name.includes(':')) throw new Error(`worker name "${name}" contains a colon, which HTTP Basic auth cannot carry; rename the worker`);
  return `Basic ${Buffer.from(`${name}:${password}`, 'utf8').toString('base64')}`;
}

/** Parses an Authorization header; null when it is absent or malformed (answer 401/400, never throw). */
export function parseBasicAuthHeader(header: string | undefined): { name: string; password: string } | null {
  if (!header) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The WebSocket URL for a MASTER argument as `buildbot-worker` takes it (`host:port`, `host`), or a
 * `ws://`/`wss://` URL kept as given.
 */
export function workerUrl(master: string): string {
  if (/^wss?:\/\//i.test(master)) return master;
  const ipv6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(master);
  if (ipv6) return `ws://[${ipv6[1]}]:${ipv6[2] ?? DEFAULT_PORT}`;
  const [host, port] = master.split(':');
  if (!host) throw new Error(`master address "${master}" has no host; use host:port, e.g. localhost:${DEFAULT_PORT}`);
  if (port !== undefined && !/^\d+$/.test(port)) throw new Error(`master address "${master}" has a bad port; use host:port, e.g. localhost:${DEFAULT_PORT}`);
  return `ws://${host}:${port ?? DEFAULT_PORT}`;
}
