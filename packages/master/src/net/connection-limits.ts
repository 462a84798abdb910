/**
 * Limits on the connections of a listening HTTP server (the web port and the worker port), so one
 * client cannot hold the master's file descriptors: a connection must send its request headers
 * within `headersTimeoutMs` and its whole request within `requestTimeoutMs` (Node answers 408 and
 * closes), a connection with no traffic for `idleTimeoutMs` is closed (also between keep-alive
 * requests), and one remote address may hold at most `maxConnectionsPerAddress` connections at
 * once: a connection beyond that is answered 503 and closed before any of its bytes are parsed.
 *
 * A WebSocket upgrade ends the HTTP timeouts for its socket (`ws` clears the idle timer): from then
 * on the protocol's own keepalive watches the connection. It still counts towards the address cap.
 */
import type { Server } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { RateBudget } from 'mastro-protocol';
import { rawHttpReply } from './raw-http-reply.js';

export interface ConnectionLimits {
  /** Time from connecting (on a kept-alive connection: from the first byte of the next request) to the end of the request headers; 0 = none. */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included; 0 = none. */
  requestTimeoutMs: number;
  /** A connection with no bytes in either direction for this long is closed; 0 = never. */
  idleTimeoutMs: number;
  /** Connections one remote address may hold at once; 0 = no limit. */
  maxConnectionsPerAddress: number;
}

/**
 * The web port (UI, API, hooks). Browsers open about six connections per host plus one /ws per tab,
 * so 256 per address serves dozens of users behind one NAT while one client cannot exhaust a
 * 1024-descriptor limit. Idle 72 s, like Fastify's keep-alive default: longer than the 60 s idle
 * timeout of common load balancers, so the master is not the side that closes a reused connection.
 */
export const HTTP_CONNECTION_DEFAULTS: ConnectionLimits = {
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
  idleTimeoutMs: 72_000,
  maxConnectionsPerAddress: 256,
};

/**
 * The worker port. An upgrade request has no body, so the headers timeout bounds the whole request
 * (workers/manager.ts), and nothing but the upgrade is served. A whole fleet may connect from one
 * NAT address, so its cap is high; it still bounds what one address can hold.
 */
export const WORKER_CONNECTION_DEFAULTS = { headersTimeoutMs: 30_000, maxConnectionsPerAddress: 4096 } as const;

/** How often Node looks for connections past their headers or request timeout (its default is 30 s). */
function checkingIntervalMs(limits: ConnectionLimits): number {
  const timeouts = [limits.headersTimeoutMs, limits.requestTimeoutMs].filter((t) => t > 0);
  if (!timeouts.length) return 30_000;
  // A quarter of the shortest timeout, so a timeout is honoured within 25 % of its length.
  return Math.min(5_000, Math.max(50, Math.floor(Math.min(...timeouts) / 4)));
}

export interface ConnectionLimitDeps {
  logger: { warn(obj: unknown, msg?: string): void };
  /** The option a user raises, named in refusals, e.g. `www.maxConnectionsPerAddress`. */
  capOption: string;
  /** Body of the 503: the API's JSON error shape, or plain text for workers. */
  format: 'json' | 'text';
}

/** IPv4 clients of a dual-stack listener appear as `::ffff:1.2.3.4`: one address, one count. */
function addressKey(socket: Socket): string {
  const a = socket.remoteAddress ?? 'unknown';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * Applies `limits` to `server`; call it before `listen()` (Node reads the checking interval when it
 * starts listening). Returns how many connections an address holds (for tests and diagnostics).
 */
export function applyConnectionLimits(server: Server, limits: ConnectionLimits, deps: ConnectionLimitDeps): { openFrom(address: string): number } {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.idleTimeoutMs;
  server.timeout = limits.idleTimeoutMs;
  // A constructor option in Node's types, but Node reads the property when the server starts
  // listening, and servers made by others (Fastify) are built before we see them.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = checkingIntervalMs(limits);

  return capConnectionsPerAddress(server, limits.maxConnectionsPerAddress, deps);
}

/**
 * The per-address cap alone, for any listening server (the worker port's listener when WebSocket
 * and PB workers share it). Returns how many connections an address holds.
 */
export function capConnectionsPerAddress(server: NetServer, maxConnectionsPerAddress: number, deps: ConnectionLimitDeps): { openFrom(address: string): number } {
  const open = new Map<string, number>();
  // One line per refusal would let the refused client write the master's log at wire speed.
  const warnings = new RateBudget(10);
  const refuse = (socket: Socket, address: string): void => {
    if (warnings.take()) {
      const left = warnings.takeRefused();
      deps.logger.warn({ address, limit: maxConnectionsPerAddress, notLogged: left || undefined },
        `refused a connection: this address already holds ${maxConnectionsPerAddress} connections (${deps.capOption})`);
    }
    const text = `too many connections from ${address}: at most ${maxConnectionsPerAddress} at once (${deps.capOption}); close idle connections, or raise the limit if many clients share this address`;
    socket.on('error', () => {});
    // Read and drop whatever the client sends, so the close is a FIN after our answer, not a reset.
    socket.resume();
    rawHttpReply(socket, 503, deps.format === 'json' ? JSON.stringify({ error: text }) : `${text}\n`,
      deps.format === 'json' ? { contentType: 'application/json; charset=utf-8' } : {});
    setTimeout(() => socket.destroy(), 2_000).unref();
  };

  // The cap must act before Node's HTTP parser sees the socket, so the listeners already there
  // (Node's own connection handler) run only for connections that are let in.
  const downstream = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const address = addressKey(socket);
    const held = open.get(address) ?? 0;
    if (maxConnectionsPerAddress > 0 && held >= maxConnectionsPerAddress) return refuse(socket, address);
    open.set(address, held + 1);
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left > 0) open.set(address, left); else open.delete(address);
    });
    for (const listener of downstream) listener.call(server, socket);
  });
  return { openFrom: (address) => open.get(address) ?? 0 };
}
