/**
 * The HTTP side of a worker connection: the WebSocket upgrade request must carry HTTP Basic
 * credentials of a configured worker. Refusals are plain HTTP answers before any WebSocket exists:
 * 401 for bad or missing credentials, 400 for a malformed header, 429 while the address is
 * rate-limited for that worker name, 404 for a wrong path. Passwords never reach a log.
 *
 * Failed logins are counted per address and worker name (`limitKey`): workers behind one NAT share
 * an address, and a host there that keeps failing (a worker with a stale password, a scanner)
 * must not keep the others out. Unknown names and missing credentials share one key per address,
 * so inventing names buys a guesser no tries. A request that names a pool (`X-Mastro-Pool`) is a
 * pool worker's, handled by pool-upgrade.ts.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { POOL_HEADER, type Encoding } from 'mastro-protocol';
import { type CredentialStore, parseBasicAuth } from './credentials.js';
import type { LoginRateLimiter } from './login-rate-limiter.js';
import type { Logger } from 'mastro-protocol';
import { rawHttpReply } from '../net/raw-http-reply.js';

export interface UpgradeAuthDeps {
  credentials: CredentialStore;
  limiter: LoginRateLimiter;
  wss: WebSocketServer;
  path: string | null;
  logger: Logger;
  /** `hinted`: the worker named its encoding on the upgrade, so the master need not wait for it to speak first. */
  onAuthenticated(name: string, ws: WebSocket, remoteAddress: string, encoding: Encoding, hinted: boolean): void;
  /** Takes over a request that sends `X-Mastro-Pool` (pool-upgrade.ts); without it the header is ignored, as an older master does. */
  poolLogin?(req: IncomingMessage, socket: Duplex, head: Buffer, remoteAddress: string, header: string | string[]): void;
}

function refuse(socket: Duplex, status: number, body: string, headers: Record<string, string> = {}): void {
  rawHttpReply(socket, status, body, { headers });
}

export function remoteAddressOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

/**
 * The master speaks first (get_worker_info), so a worker states the encoding it wants on the upgrade:
 * header `X-Mastro-Encoding: json|msgpack` or query `?encoding=json|msgpack` (the query is for clients
 * that cannot set headers). Returns null without a valid hint (Buildbot workers never send one): the
 * master then starts in msgpack, as Buildbot does.
 */
export function encodingHint(req: IncomingMessage): Encoding | null {
  const header = req.headers['x-mastro-encoding'];
  const fromHeader = typeof header === 'string' ? header.trim().toLowerCase() : '';
  if (fromHeader === 'json' || fromHeader === 'msgpack') return fromHeader;
  const query = (req.url ?? '').split('?')[1];
  const fromQuery = query ? new URLSearchParams(query).get('encoding')?.toLowerCase() : undefined;
  return fromQuery === 'json' || fromQuery === 'msgpack' ? fromQuery : null;
}

/** `X-Mastro-Pool` as sent: Node joins a repeated custom header in `headers`, not in `headersDistinct`. */
export function poolHeaderOf(req: IncomingMessage): string | string[] | undefined {
  const values = req.headersDistinct[POOL_HEADER.toLowerCase()];
  return values === undefined ? undefined : values.length === 1 ? values[0] : values;
}

/** The failed-login key of a worker login: its address and, for a configured worker, the name. */
export function limitKey(address: string, configuredName: string | null): string {
  return configuredName === null ? `${address} (no configured worker)` : `${address} ${configuredName}`;
}

export function createUpgradeHandler(deps: UpgradeAuthDeps) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    // A client that vanishes mid-handshake must not raise an unhandled 'error'.
    socket.on('error', () => {});
    const address = remoteAddressOf(req);
    if (deps.path !== null && (req.url ?? '/').split('?')[0] !== deps.path) {
      refuse(socket, 404, `workers connect at path ${deps.path}\n`);
      return;
    }
    const poolHeader = deps.poolLogin ? poolHeaderOf(req) : undefined;
    if (poolHeader !== undefined) { deps.poolLogin!(req, socket, head, address, poolHeader); return; }
    const header = req.headers.authorization;
    const creds = parseBasicAuth(header);
    const key = limitKey(address, creds && deps.credentials.has(creds.name) ? creds.name : null);
    if (!deps.limiter.allows(key)) {
      const seconds = Math.max(1, Math.ceil(deps.limiter.retryAfterMs(key) / 1000));
      deps.logger.warn({ address, worker: creds?.name }, 'worker login refused: too many failed logins from this address for this worker name');
      refuse(socket, 429, `too many failed worker logins from ${address}${creds ? ` as ${creds.name}` : ''}; retry in ${seconds} s\n`, { 'Retry-After': String(seconds) });
      return;
    }
    if (!creds) {
      deps.limiter.recordFailure(key);
      const status = header ? 400 : 401;
      deps.logger.warn({ address }, header ? 'worker login refused: malformed Authorization header' : 'worker login refused: no credentials');
      refuse(socket, status, header
        ? 'malformed Authorization header; send HTTP Basic credentials (worker name and password)\n'
        : 'worker credentials required: send HTTP Basic auth with the worker name and password\n',
      status === 401 ? { 'WWW-Authenticate': 'Basic realm="mastro workers"' } : {});
      return;
    }
    if (!deps.credentials.check(creds.name, creds.password)) {
      deps.limiter.recordFailure(key);
      deps.logger.warn({ address, worker: creds.name, known: deps.credentials.has(creds.name) }, 'worker login refused: bad credentials');
      refuse(socket, 401, 'unknown worker name or wrong password; check the worker name and password in the master configuration\n',
        { 'WWW-Authenticate': 'Basic realm="mastro workers"' });
      return;
    }
    const hint = encodingHint(req);
    deps.wss.handleUpgrade(req, socket, head, (ws) => deps.onAuthenticated(creds.name, ws, address, hint ?? 'msgpack', hint !== null));
  };
}
