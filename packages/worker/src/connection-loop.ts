/**
 * Keeps the worker connected: opens the WebSocket with HTTP Basic auth, hands each established
 * connection to `onConnection`, and after any loss reconnects with capped exponential backoff and
 * jitter, for as long as the loop runs. A WebSocket ping every `pingIntervalMs` detects a master
 * that vanished without closing the TCP connection.
 *
 * A pool worker (`pool`) sends the pool's token as its password and names the pool in
 * `X-Mastro-Pool` (PROTOCOL.md §1.1); a refusal without the header echoed comes from a master that
 * does not know pools, and the log says so rather than blaming the token.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import { ENCODING_HEADER, POOL_HEADER, ProtocolConnection, backoffDelay, basicAuthHeader, poolRefusal, type BackoffOptions, type Encoding, type Logger } from 'mastro-protocol';

export interface ConnectionLoopOptions {
  url: string;
  name: string;
  /** The password (a pool's token for a pool worker); a function is asked before each attempt (a token file re-read). */
  password: string | (() => string);
  /** The pool joined (PROTOCOL.md §1.1); absent for a named worker. */
  pool?: string | null;
  /** Where the credentials come from, for the message of a refused login (default: worker.json's name and password). */
  credentialsSource?: string;
  encoding: Encoding;
  backoff?: BackoffOptions;
  /** Interval of WebSocket pings, ms (default 60 000; null disables). */
  pingIntervalMs?: number | null;
  /** A ping unanswered this long ends the connection, ms (default 30 000). */
  pingTimeoutMs?: number;
  /** Time allowed for the TCP + WebSocket handshake, ms (default 30 000). */
  handshakeTimeoutMs?: number;
  maxFrameSize?: number;
  requestTimeoutMs?: number;
  /**
   * Mask outgoing frames with a random key (RFC 6455). Default: only on plain `ws://` to a host that
   * is not loopback. Masking protects HTTP intermediaries that can read the bytes from
   * attacker-chosen payloads; over TLS (`wss://`) or loopback there is no such intermediary, and
   * skipping it saves a copy and an XOR pass over every byte of log output.
   */
  maskFrames?: boolean;
  log: Logger;
  /** Called with each established connection; the loop waits for `conn.closed` before reconnecting. */
  onConnection(conn: ProtocolConnection): void;
  /** Called when an attempt fails before the connection is established (e.g. refused, 401). */
  onAttemptFailed?(reason: { message: string; status?: number }): void;
}

const zeroMask = (mask: Buffer): void => { mask.fill(0); };

/** The most of a refusal's body quoted in the log: a master's explanation is a line or two. */
const MAX_REFUSAL_TEXT = 500;

/** The text of a refused upgrade's body, cut to MAX_REFUSAL_TEXT; '' when the master sent none (or not within a second). */
function refusalText(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const done = () => { clearTimeout(timer); resolve(text.trim().replace(/\s+/g, ' ').slice(0, MAX_REFUSAL_TEXT)); };
    // A master that never ends its answer must not hold the reconnect loop.
    const timer = setTimeout(() => { res.destroy(); done(); }, 1000);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => { if (text.length < MAX_REFUSAL_TEXT) text += chunk; });
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}

/** Whether frames to `url` cross a network where an intermediary could read them (see maskFrames). */
export function needsMasking(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'wss:') return false;
  const host = hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host));
}

export class ConnectionLoop {
  private stopped = false;
  private attempt = 0;
  private ws: WebSocket | null = null;
  private conn: ProtocolConnection | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private wakeRetry: (() => void) | null = null;
  readonly finished: Promise<void>;

  constructor(private readonly o: ConnectionLoopOptions) {
    this.finished = this.run();
  }

  get connection(): ProtocolConnection | null { return this.conn; }

  /** Stops reconnecting and closes the current connection with `reason`. */
  stop(reason = 'worker shutting down'): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.wakeRetry?.();
    if (this.conn) this.conn.close(1001, reason);
    else this.ws?.terminate();
    return this.finished;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const outcome = await this.connectOnce();
      if (this.stopped) break;
      if (outcome === 'established') this.attempt = 0;
      const delay = backoffDelay(this.attempt++, this.o.backoff);
      this.o.log.info(`reconnecting to ${this.o.url} in ${(delay / 1000).toFixed(1)} s`);
      await new Promise<void>((resolve) => {
        this.wakeRetry = resolve;
        this.retryTimer = setTimeout(resolve, delay);
      });
      this.wakeRetry = null;
    }
  }

  private connectOnce(): Promise<'established' | 'failed'> {
    return new Promise((resolve) => {
      const ws = new WebSocket(this.o.url, {
        // The encoding hint lets a mastro master speak our encoding from its first message without
        // waiting to see which one we use (PROTOCOL.md, "Choosing the encoding"); Buildbot ignores it.
        headers: {
          Authorization: basicAuthHeader(this.o.name, typeof this.o.password === 'function' ? this.o.password() : this.o.password),
          [ENCODING_HEADER]: this.o.encoding,
          ...(this.o.pool ? { [POOL_HEADER]: this.o.pool } : {}),
        },
        handshakeTimeout: this.o.handshakeTimeoutMs ?? 30_000,
        maxPayload: this.o.maxFrameSize,
        perMessageDeflate: false,
        // An all-zero key is valid on the wire and makes `ws` skip the masking pass.
        ...((this.o.maskFrames ?? needsMasking(this.o.url)) ? {} : { generateMask: zeroMask }),
      });
      this.ws = ws;
      let established = false;
      ws.on('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        void refusalText(res).then((text) => {
          const message = this.refusalMessage(status, res.headers[POOL_HEADER.toLowerCase()], text);
          this.o.log.error(message);
          this.o.onAttemptFailed?.({ message, status });
          ws.terminate();
        });
      });
      ws.on('upgrade', (res) => {
        if (this.o.pool && res.headers[POOL_HEADER.toLowerCase()] === undefined) {
          this.o.log.warn(`the master at ${this.o.url} accepted '${this.o.name}' without answering ${POOL_HEADER}: it does not know worker pools and took ` +
            `the login for the named worker '${this.o.name}' whose password is this pool's token; it is attached as that named worker`);
        }
      });
      ws.on('error', (err) => {
        if (established) return;
        const message = `cannot connect to ${this.o.url}: ${err.message}`;
        this.o.log.warn(message);
        this.o.onAttemptFailed?.({ message });
      });
      ws.on('close', () => { if (!established) { this.ws = null; resolve('failed'); } });
      ws.on('open', () => {
        established = true;
        this.o.log.info(`connected to ${this.o.url} as '${this.o.name}'${this.o.pool ? ` in pool '${this.o.pool}'` : ''} (${this.o.encoding})`);
        const conn = new ProtocolConnection(ws, {
          encoding: this.o.encoding, followPeerEncoding: false, maxFrameSize: this.o.maxFrameSize, requestTimeoutMs: this.o.requestTimeoutMs,
          logger: this.o.log,
        });
        this.conn = conn;
        const stopPing = this.startPing(ws);
        try { this.o.onConnection(conn); } catch (err) { this.o.log.error(`connection setup failed: ${(err as Error).message}`); conn.close(1011, 'worker setup failed'); }
        conn.closed.then((info) => {
          stopPing();
          this.conn = null;
          this.ws = null;
          this.o.log.info(`connection to the master closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`);
          resolve('established');
        });
      });
    });
  }

  /** What a refused upgrade means, in words that say what to do. */
  private refusalMessage(status: number, poolEcho: string | string[] | undefined, text: string): string {
    const said = text ? `: ${text}` : '';
    const url = this.o.url;
    if (this.o.pool) {
      const who = `worker '${this.o.name}' of pool '${this.o.pool}'`;
      if ((status === 401 || status === 403) && poolRefusal(poolEcho) === 'master-without-pools') {
        return `the master at ${url} refused ${who} (HTTP ${status}) without answering ${POOL_HEADER}: it does not support worker pools ` +
          `(an older mastro, or Buildbot); upgrade the master, or make this a named worker with: mastro-worker create-worker DIR MASTER NAME PASSWORD`;
      }
      if (status === 401 || status === 403) {
        return `the master at ${url} refused ${who} (HTTP ${status}${said}): check ${this.o.credentialsSource ?? 'the pool token'} ` +
          `against the tokens of workerPool({ name: '${this.o.pool}' }) in the master's configuration`;
      }
      return `the master at ${url} answered ${who} with HTTP ${status}${said}`;
    }
    if (status === 401 || status === 403) {
      return `the master at ${url} refused worker '${this.o.name}' (HTTP ${status}): check ${this.o.credentialsSource ?? 'the worker name and password in worker.json'}`;
    }
    return `the master at ${url} answered HTTP ${status} instead of accepting the WebSocket${said}`;
  }

  private startPing(ws: WebSocket): () => void {
    const interval = this.o.pingIntervalMs === undefined ? 60_000 : this.o.pingIntervalMs;
    if (!interval) return () => undefined;
    let waiting: NodeJS.Timeout | null = null;
    ws.on('pong', () => { if (waiting) clearTimeout(waiting); waiting = null; });
    const timer = setInterval(() => {
      if (waiting || ws.readyState !== WebSocket.OPEN) return;
      ws.ping();
      waiting = setTimeout(() => {
        this.o.log.warn(`the master did not answer a ping within ${this.o.pingTimeoutMs ?? 30_000} ms; dropping the connection`);
        ws.terminate();
      }, this.o.pingTimeoutMs ?? 30_000);
    }, interval);
    return () => { clearInterval(timer); if (waiting) clearTimeout(waiting); };
  }
}
