/**
 * Keeps the worker connected: opens the WebSocket with HTTP Basic auth, hands each established
 * connection to `onConnection`, and after any loss reconnects with capped exponential backoff and
 * jitter, for as long as the loop runs. A WebSocket ping every `pingIntervalMs` detects a master
 * that vanished without closing the TCP connection.
 */
import { WebSocket } from 'ws';
import { ENCODING_HEADER, ProtocolConnection, basicAuthHeader, type Encoding } from 'mastro-protocol';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import type { Logger } from 'mastro-protocol';

export interface ConnectionLoopOptions {
  url: string;
  name: string;
  password: string;
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
        headers: { Authorization: basicAuthHeader(this.o.name, this.o.password), [ENCODING_HEADER]: this.o.encoding },
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
        const message = status === 401 || status === 403
          ? `the master at ${this.o.url} refused worker '${this.o.name}' (HTTP ${status}): check the worker name and password in worker.json`
          : `the master at ${this.o.url} answered HTTP ${status} instead of accepting the WebSocket`;
        this.o.log.error(message);
        this.o.onAttemptFailed?.({ message, status });
        res.resume();
        ws.terminate();
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
        this.o.log.info(`connected to ${this.o.url} as '${this.o.name}' (${this.o.encoding})`);
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
