/**
 * The common half of the service stand-ins (GitHub, GitLab, Gerrit REST, Slack, Matrix): a real
 * HTTP (or HTTPS) server on loopback that hands each request to the service's checks, records what
 * the service accepted and what it refused and why, and can be told to misbehave the way the real
 * service does: fail with a 5xx, hang without answering, or rate-limit with the service's own
 * headers. Tests wait for events (`waitForAccepted`), never for time.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the stand-in saw it. */
export interface StandinRequest {
  method: string;
  /** The path as sent, still %-encoded (GitLab's `group%2Fproject` must stay one segment). */
  rawPath: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** The body as text. */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface StandinReply {
  status: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string as it is. */
  body?: unknown;
}

/** A request the service accepted (2xx), with what it answered. */
export interface Accepted extends StandinRequest { reply: StandinReply }
/** A request the service refused (4xx/5xx), with its reply. */
export interface Refused extends StandinRequest { reply: StandinReply }

/** What one service contributes: its checks and its own shapes for failures. */
export interface ServiceSpec {
  name: string;
  /** Checks method, path, headers, authentication and body; answers as the service would. */
  handle(req: StandinRequest): StandinReply;
  /** The service's answer when told to fail. */
  serverError(status: number): StandinReply;
  /** The service's rate-limit answer, with its headers. */
  rateLimited(retryAfterS: number): StandinReply;
}

type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A plain HTTP or HTTPS server on 127.0.0.1 with an ephemeral port; `close()` also drops open connections. */
export async function listenLocal(handler: HttpHandler, tls?: { cert: string; key: string }): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server: Server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    server,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

export async function readRequest(req: IncomingMessage): Promise<StandinRequest> {
  const parts: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) parts.push(c);
  const text = Buffer.concat(parts).toString('utf8');
  let json: unknown;
  try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return { method: req.method ?? 'GET', rawPath: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)), headers, text, json };
}

export function sendReply(res: ServerResponse, reply: StandinReply): void {
  const isText = typeof reply.body === 'string';
  const body = reply.body === undefined ? '' : isText ? (reply.body as string) : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...reply.headers,
  }).end(body);
}

export class Standin {
  readonly accepted: Accepted[] = [];
  readonly refused: Refused[] = [];
  /** Every request, answered or not, in arrival order. */
  readonly received: StandinRequest[] = [];
  private failures: { count: number; status: number } = { count: 0, status: 500 };
  private limits: { count: number; retryAfterS: number } = { count: 0, retryAfterS: 1 };
  private hanging = false;
  private readonly held = new Set<ServerResponse>();
  private readonly waiters: Array<{ n: number; resolve: () => void }> = [];

  private constructor(readonly spec: ServiceSpec, readonly url: string, private readonly closeServer: () => Promise<void>) {}

  static async start(spec: ServiceSpec, opts: { tls?: { cert: string; key: string } } = {}): Promise<Standin> {
    let self: Standin | undefined;
    const srv = await listenLocal((req, res) => { void self!.serve(req, res); }, opts.tls);
    self = new Standin(spec, srv.url, srv.close);
    return self;
  }

  /** The next `count` requests get the service's `status` error (an outage). */
  failNext(count: number, status = 500): void { this.failures = { count, status }; }
  /** The next `count` requests are rate-limited, asking for `retryAfterS` seconds. */
  rateLimitNext(count: number, retryAfterS = 1): void { this.limits = { count, retryAfterS }; }
  /** While on, requests are read and never answered (a hung endpoint); turning it off does not answer the held ones. */
  hang(on: boolean): void { this.hanging = on; }

  /** Resolves once `n` requests in all have been accepted. */
  waitForAccepted(n: number): Promise<Accepted[]> {
    if (this.accepted.length >= n) return Promise.resolve(this.accepted.slice(0, n));
    return new Promise((resolve) => this.waiters.push({ n, resolve: () => resolve(this.accepted.slice(0, n)) }));
  }

  async close(): Promise<void> {
    for (const r of this.held) r.destroy();
    await this.closeServer();
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const r = await readRequest(req);
    this.received.push(r);
    if (this.hanging) { this.held.add(res); res.on('close', () => this.held.delete(res)); return; }
    let reply: StandinReply;
    if (this.limits.count > 0) { this.limits.count--; reply = this.spec.rateLimited(this.limits.retryAfterS); }
    else if (this.failures.count > 0) { this.failures.count--; reply = this.spec.serverError(this.failures.status); }
    else {
      try { reply = this.spec.handle(r); } catch (e) { reply = { status: 500, body: `stand-in ${this.spec.name} crashed: ${(e as Error).stack}` }; }
    }
    if (reply.status >= 200 && reply.status < 300) {
      this.accepted.push({ ...r, reply });
      for (const w of this.waiters.filter((x) => this.accepted.length >= x.n)) { this.waiters.splice(this.waiters.indexOf(w), 1); w.resolve(); }
    } else this.refused.push({ ...r, reply });
    sendReply(res, reply);
  }
}

/** Path segments of a raw path, each %-decoded (so `group%2Fproject` is one segment `group/project`). */
export function segments(rawPath: string): string[] {
  return rawPath.split('/').slice(1).map((s) => { try { return decodeURIComponent(s); } catch { return s; } });
}

/** Whether a value is a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
