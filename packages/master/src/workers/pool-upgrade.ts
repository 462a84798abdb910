/**
 * The upgrade request of a pool worker (one that sends `X-Mastro-Pool`, PROTOCOL.md §1.1): HTTP Basic
 * carries the worker's own name and the pool's token. Every answer echoes `X-Mastro-Pool`, which is
 * how the worker tells this master (which knows pools) from one that ignored the header:
 *   101 accepted, as `POOL/NAME`;
 *   400 the header is no pool name, was sent twice, or the worker name is not valid;
 *   401 unknown pool or wrong token, one text for both; a failed login of the address for that pool;
 *   429 too many failed logins of the address for that pool (Retry-After), before any check;
 *   503 the pool holds its `maxWorkers` already (Retry-After); not a failed login.
 * Failed logins of a pool count per address and pool, as a named worker's count per address and
 * name; logins to pools that do not exist share the address's key for unknown names, so inventing
 * pool names buys a guesser no tries. Tokens never reach a log.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { POOL_HEADER, poolNameProblem, poolOfRequest, poolWorkerName, type Encoding } from 'mastro-protocol';
import { parseBasicAuth } from './credentials.js';
import type { LoginRateLimiter } from './login-rate-limiter.js';
import type { Logger as WorkerServerLogger } from 'mastro-protocol';
import { POOL_FULL_RETRY_AFTER_S, type PoolRegistry, type TokenKey } from './pool-auth.js';
import { encodingHint, limitKey } from './upgrade-auth.js';
import { rawHttpReply } from '../net/raw-http-reply.js';

/** What a connection accepted into a pool carries for its life (a reconfig re-checks the token). */
export interface PoolLogin { pool: string; tokenKey: TokenKey }

export interface PoolUpgradeDeps {
  pools: PoolRegistry;
  limiter: LoginRateLimiter;
  wss: WebSocketServer;
  logger: WorkerServerLogger;
  onAuthenticated(name: string, ws: WebSocket, remoteAddress: string, encoding: Encoding, hinted: boolean, login: PoolLogin): void;
}

/** The pool an accepted request joins, for the 101's echo (ws builds that answer's headers). */
const ACCEPTED_POOL = Symbol('mastro.acceptedPool');
type PoolRequest = IncomingMessage & { [ACCEPTED_POOL]?: string };

/** A value safe to send back in a header (what the worker sent, when it is plain text), else a placeholder. */
function echoOf(value: string | string[] | undefined): string {
  const v = Array.isArray(value) ? value[0] : value;
  return v !== undefined && /^[\x21-\x7e]{1,100}$/.test(v.trim()) ? v.trim() : 'invalid';
}

export function createPoolUpgradeHandler(deps: PoolUpgradeDeps) {
  deps.wss.on('headers', (headers, req) => {
    const pool = (req as PoolRequest)[ACCEPTED_POOL];
    if (pool !== undefined) headers.push(`${POOL_HEADER}: ${pool}`);
  });

  return (req: IncomingMessage, socket: Duplex, head: Buffer, address: string, header: string | string[]): void => {
    const parsed = poolOfRequest(header);
    const refuse = (status: number, body: string, headers: Record<string, string> = {}) =>
      rawHttpReply(socket, status, `${body}\n`, { headers: { [POOL_HEADER]: echoOf(header), ...headers } });
    if (parsed === null || 'error' in parsed) {
      const why = parsed && 'error' in parsed ? parsed.error : `${POOL_HEADER} is empty`;
      deps.logger.warn({ address }, `pool worker login refused: ${why}`);
      refuse(400, `${why}; send ${POOL_HEADER} once, with the name of a workerPool of this master`);
      return;
    }
    const { pool } = parsed;
    const known = deps.pools.has(pool);
    const key = limitKey(address, known ? `pool ${pool}` : null);
    const creds = parseBasicAuth(req.headers.authorization);
    if (!deps.limiter.allows(key)) {
      const seconds = Math.max(1, Math.ceil(deps.limiter.retryAfterMs(key) / 1000));
      deps.logger.warn({ address, pool, worker: creds?.name }, 'pool worker login refused: too many failed logins from this address for this pool');
      refuse(429, `too many failed logins to worker pool '${pool}' from ${address}; retry in ${seconds} s`, { 'Retry-After': String(seconds) });
      return;
    }
    if (!creds) {
      deps.limiter.recordFailure(key);
      deps.logger.warn({ address, pool }, 'pool worker login refused: no or malformed credentials');
      refuse(req.headers.authorization ? 400 : 401, req.headers.authorization
        ? 'malformed Authorization header; send HTTP Basic credentials: the worker name and the pool token'
        : 'credentials required: send HTTP Basic auth with the worker name and the pool token',
      req.headers.authorization ? {} : { 'WWW-Authenticate': 'Basic realm="mastro workers"' });
      return;
    }
    const nameProblem = poolNameProblem('worker name', creds.name);
    if (nameProblem) {
      deps.limiter.recordFailure(key);
      deps.logger.warn({ address, pool }, `pool worker login refused: ${nameProblem}`);
      refuse(400, `${nameProblem}; the master calls a pool worker POOL/NAME, so the name holds no '/' or ':'`);
      return;
    }
    const tokenKey = deps.pools.check(pool, creds.password);
    if (tokenKey === null) {
      deps.limiter.recordFailure(key);
      deps.logger.warn({ address, pool, worker: creds.name, known }, 'pool worker login refused: unknown pool or wrong token');
      refuse(401, `unknown worker pool or wrong token: check that '${pool}' is a workerPool of this master and that the worker's token file holds one of its tokens`,
        { 'WWW-Authenticate': 'Basic realm="mastro workers"' });
      return;
    }
    const release = deps.pools.join(pool, creds.name);
    if (!release) {
      const max = deps.pools.maxWorkers(pool);
      deps.logger.warn({ address, pool, worker: creds.name, maxWorkers: max }, 'pool worker refused: the pool is full');
      refuse(503, `worker pool '${pool}' is full: its maxWorkers (${max}) workers are attached; '${poolWorkerName(pool, creds.name)}' retries later ` +
        `(raise maxWorkers of workerPool({ name: '${pool}' }) to let more in)`, { 'Retry-After': String(POOL_FULL_RETRY_AFTER_S) });
      return;
    }
    // The place is the TCP connection's: given back however it ends (handshake failure included).
    socket.once('close', release);
    (req as PoolRequest)[ACCEPTED_POOL] = pool;
    const hint = encodingHint(req);
    deps.wss.handleUpgrade(req, socket, head, (ws) =>
      deps.onAuthenticated(poolWorkerName(pool, creds.name), ws, address, hint ?? 'msgpack', hint !== null, { pool, tokenKey }));
  };
}
