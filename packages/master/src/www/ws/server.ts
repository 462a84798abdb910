/**
 * `/ws`: Buildbot's WebSocket event protocol (www/ws.py, "legacy" flavour), plus control.
 * Client -> server JSON text frames, each with an `_id` the answer repeats:
 *   {"cmd":"startConsuming","path":"builds/*\/*","_id":1}   -> {"msg":"OK","code":200,"_id":1}
 *   {"cmd":"stopConsuming","path":"builds/*\/*","_id":2}    -> {"msg":"OK","code":200,"_id":2}
 *   {"cmd":"ping","_id":3}                                  -> {"msg":"pong","code":200,"_id":3}
 *   {"cmd":"control","path":"builds/12","method":"stop","params":{},"_id":4}
 *                                      -> {"code":200,"result":null,"_id":4}  (mastro extension)
 * Errors: {"error":"...","code":400|401|403|404|...,"_id":N} (control errors add "jsonrpc_code").
 * Events: {"k":"builds/12/new","m":{...}} for every bus event whose routing key matches a consumed
 * path of the same length, `*` matching any one segment (log lines: `logs/<id>/append`).
 *
 * Limits (options, defaults): `maxSubscriptions` per connection (100), `maxBufferedBytes` of
 * unsent events before a slow consumer is dropped with close code 4008 (8 MiB), `maxMessageBytes`
 * per client frame (64 KiB), `maxConnections` (1000). Authentication is the HTTP one (cookie,
 * Bearer, Basic) on the upgrade request; cross-origin upgrades are refused; consuming needs `view`.
 * A connection can stay open for days, so each command asks who its credentials stand for now
 * (Authenticator.refresh): after a logout, a revoked token or a reconfig that took a role away,
 * the next startConsuming or control is judged on what is in force, not on the upgrade.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FastifyInstance } from 'fastify';
import type { MessageQueue } from '../../mq/bus.js';
import type { Security } from '../security.js';
import type { ControlActions } from '../control/actions.js';
import { JsonRpcError } from '../control/jsonrpc.js';
import { AuthError, type Authenticated } from '../auth/authenticator.js';
import { crossOriginRefusal } from '../auth/browser-guard.js';
import { ANONYMOUS, type Identity } from '../auth/identity.js';
import { rawHttpReply } from '../../net/raw-http-reply.js';
import { WS_OPTION_DEFAULTS, type WsOptions } from '../../options/www.js';

/** The limits' defaults, declared with the `www.ws` options (options/www.ts). */
export const WS_DEFAULTS = WS_OPTION_DEFAULTS;
/** Close code for a client that does not read its events fast enough. */
export const CLOSE_SLOW_CONSUMER = 4008;

export type { WsOptions };

export function parseEventPath(path: string): Array<string | null> {
  return path.split('/').map((p) => (p === '*' ? null : p));
}

class WsConnection {
  private readonly subs = new Map<string, () => void>();
  private closed = false;
  /** Frames are handled one after another, so their answers keep the order they were sent in. */
  private inOrder: Promise<void> = Promise.resolve();

  constructor(private readonly ws: WebSocket, private readonly auth: Authenticated, private readonly deps: { mq: MessageQueue; security: Security; control: ControlActions; limits: Required<Omit<WsOptions, 'path'>> }) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      this.inOrder = this.inOrder.then(() => this.onMessage(text)).catch(() => this.error(null, 500, 'internal error; see the master log'));
    });
    ws.on('close', () => this.dispose());
    ws.on('error', () => this.dispose());
  }

  private send(msg: Record<string, unknown>): void {
    if (this.closed) return;
    if (this.ws.bufferedAmount > this.deps.limits.maxBufferedBytes) {
      // Queueing more would grow memory without bound; the client can reconnect and re-read state.
      this.ws.close(CLOSE_SLOW_CONSUMER, `slow consumer: more than ${this.deps.limits.maxBufferedBytes} bytes of events unsent`);
      this.dispose();
      return;
    }
    this.ws.send(JSON.stringify(msg));
  }

  private error(_id: unknown, code: number, error: string, extra: Record<string, unknown> = {}): void {
    this.send({ error, code, _id: _id ?? null, ...extra });
  }

  private async onMessage(text: string | null): Promise<void> {
    let frame: Record<string, unknown>;
    try {
      if (text === null) throw new Error('binary frames are not accepted; send JSON text');
      frame = JSON.parse(text);
      if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) throw new Error('a frame must be a JSON object');
    } catch (err) {
      return this.error(null, 400, `invalid frame: ${(err as Error).message}`);
    }
    const { _id, cmd } = frame;
    if (_id === undefined) return this.error(null, 400, "no '_id' in websocket frame");
    if (typeof cmd !== 'string') return this.error(_id, 400, "no 'cmd' in websocket frame");
    switch (cmd) {
      case 'ping': return this.send({ msg: 'pong', code: 200, _id });
      case 'startConsuming': return this.startConsuming(frame.path, _id, await this.identityNow());
      case 'stopConsuming': return this.stopConsuming(frame.path, _id);
      // The action itself may take a while: later frames are not held up behind it.
      case 'control': { const identity = await this.identityNow(); void this.controlCmd(frame, _id, identity); return; }
      default: return this.error(_id, 404, `no such command type '${cmd}'`);
    }
  }

  private identityNow(): Promise<Identity> {
    return this.deps.security.authn.refresh(this.auth).catch(() => ANONYMOUS);
  }

  private startConsuming(path: unknown, _id: unknown, identity: Identity): void {
    if (typeof path !== 'string' || !path) return this.error(_id, 400, `invalid path format '${String(path)}'`);
    if (!this.deps.security.authz.allows(identity, 'view')) return this.error(_id, identity.username === null ? 401 : 403, 'you may not view events; log in');
    if (this.subs.has(path)) return this.send({ msg: 'OK', code: 200, _id });
    if (this.subs.size >= this.deps.limits.maxSubscriptions) return this.error(_id, 429, `too many subscriptions on this connection (limit ${this.deps.limits.maxSubscriptions}); stopConsuming some or use wildcards`);
    const unsubscribe = this.deps.mq.subscribe(parseEventPath(path), (key, m) => this.send({ k: key.join('/'), m }));
    this.subs.set(path, unsubscribe);
    this.send({ msg: 'OK', code: 200, _id });
  }

  private stopConsuming(path: unknown, _id: unknown): void {
    if (typeof path !== 'string') return this.error(_id, 400, `invalid path format '${String(path)}'`);
    const unsubscribe = this.subs.get(path);
    if (!unsubscribe) return this.error(_id, 400, `path was not consumed '${path}'`);
    unsubscribe();
    this.subs.delete(path);
    this.send({ msg: 'OK', code: 200, _id });
  }

  private async controlCmd(frame: Record<string, unknown>, _id: unknown, identity: Identity): Promise<void> {
    const { path, method, params = {} } = frame;
    if (typeof path !== 'string' || typeof method !== 'string' || typeof params !== 'object' || params === null || Array.isArray(params)) {
      return this.error(_id, 400, "control needs 'path' (e.g. \"builds/12\"), 'method' and an optional 'params' object");
    }
    try {
      const result = await this.deps.control.call(path.split('/').filter(Boolean), method, params as Record<string, unknown>, identity);
      this.send({ code: 200, result: result ?? null, _id });
    } catch (err) {
      if (err instanceof JsonRpcError) return this.error(_id, err.status, err.message, { jsonrpc_code: err.code });
      this.error(_id, 500, 'internal error; see the master log');
    }
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const unsubscribe of this.subs.values()) unsubscribe();
    this.subs.clear();
  }
}

/** Attaches /ws to the app's HTTP server. Returns a function closing every connection. */
export function registerWebSocket(app: FastifyInstance, deps: { mq: MessageQueue; security: Security; control: ControlActions }, opts: WsOptions = {}): () => void {
  const limits = {
    maxSubscriptions: opts.maxSubscriptions ?? WS_DEFAULTS.maxSubscriptions,
    maxBufferedBytes: opts.maxBufferedBytes ?? WS_DEFAULTS.maxBufferedBytes,
    maxMessageBytes: opts.maxMessageBytes ?? WS_DEFAULTS.maxMessageBytes,
    maxConnections: opts.maxConnections ?? WS_DEFAULTS.maxConnections,
  };
  const path = opts.path ?? '/ws';
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxMessageBytes });
  const refuse = (socket: Duplex, status: number, message: string) => {
    rawHttpReply(socket, status, JSON.stringify({ error: message }), { contentType: 'application/json' });
  };
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node's HTTP server drops its own error listener from a socket it hands to 'upgrade': a peer
    // that resets before it is answered would otherwise raise an unhandled 'error' (and end the master).
    socket.on('error', () => {});
    // This runs in the HTTP server's 'upgrade' event: a throw here (the URL parser's, on a target
    // such as `http://[/ws` that Node's HTTP parser lets through) would end the whole master.
    let url: URL;
    try { url = new URL(req.url ?? '/', 'http://x'); } catch {
      return refuse(socket, 400, `the request target ${JSON.stringify((req.url ?? '').slice(0, 200))} is not a valid URL; connect to ${path}`);
    }
    if (url.pathname !== path) return; // other upgrade handlers may own it
    const headers = req.headers as Record<string, string | string[] | undefined>;
    const ip = req.socket.remoteAddress ?? '';
    const cross = crossOriginRefusal({ headers, ip });
    if (cross) return refuse(socket, 403, cross.message);
    if (wss.clients.size >= limits.maxConnections) return refuse(socket, 503, `too many /ws connections (limit ${limits.maxConnections})`);
    deps.security.authn.authenticate({ headers, ip }).then((auth) => {
      wss.handleUpgrade(req, socket, head, (ws) => { new WsConnection(ws, auth, { ...deps, limits }); });
    }, (err) => {
      if (err instanceof AuthError) refuse(socket, err.status, err.message);
      else { app.log.error({ err }, '/ws authentication failed'); refuse(socket, 400, 'authentication failed'); }
    });
  };
  app.server.on('upgrade', onUpgrade);
  return () => {
    app.server.off('upgrade', onUpgrade);
    for (const c of wss.clients) c.close(1001, 'server shutting down');
    wss.close();
  };
}
