/**
 * ProtocolConnection: one peer of the protocol over an established WebSocket, used by both the
 * master and the worker. It numbers outgoing requests (`seq_number`), correlates responses, runs
 * handlers for incoming requests and answers them, applies limits (frame size, timeouts, pending
 * requests, backpressure) and turns every bad frame into an exception response or a close with a
 * code — never into a thrown exception in a socket event handler.
 */
import { WebSocket, type RawData } from 'ws';
import { decodeMessage, encodeMessage, type Encoding } from './codec.js';
import {
  DEFAULT_CLOSE_GRACE_MS, DEFAULT_HIGH_WATER_MARK, DEFAULT_KEEPALIVE_TIMEOUT_MS, DEFAULT_MAX_BUFFERED_BYTES, DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_MAX_PEER_ERRORS_PER_MINUTE, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_MAX_WARNINGS_PER_MINUTE, DEFAULT_REQUEST_TIMEOUT_MS,
} from './constants.js';
import { CloseCodes, ErrorCodes, ProtocolError, RemoteError, closeReason } from './errors.js';
import { Keepalive } from './keepalive.js';
import { PendingRequests } from './pending-requests.js';
import { RateBudget } from './rate-budget.js';
import { SendQueue } from './send-queue.js';
import { validateMessage } from './validation.js';
import { silentLogger, type Logger } from './logger.js';

export type { Encoding } from './codec.js';

export interface ConnectionOptions {
  /**
   * Largest incoming frame in bytes (default DEFAULT_MAX_FRAME_SIZE, 16 MiB); a larger frame closes the
   * connection with 1009. Also pass it as `maxPayload` when creating the WebSocket so `ws` refuses such a
   * frame before buffering it; larger outgoing messages are refused locally.
   */
  maxFrameSize?: number;
  /** Default time a request waits for its response (default 30 s); `request(..., { timeoutMs })` overrides. */
  requestTimeoutMs?: number;
  /** When set, this side sends `keepalive` requests at this interval (the master side uses it). */
  keepaliveIntervalMs?: number | null;
  /** A keepalive unanswered this long, with nothing else received, closes the connection (default 30 s). */
  keepaliveTimeoutMs?: number;
  /** Bytes buffered on the socket beyond which sends wait for it to drain (default 4 MiB). */
  highWaterMark?: number;
  /** Encoding of requests this side initiates (default 'msgpack'). Responses mirror the request they answer. */
  encoding?: Encoding;
  /**
   * Whether requests this side initiates switch to the encoding of the last frame received (default
   * true: a master serving unhinted workers learns their encoding that way). A worker that announced
   * its encoding on the upgrade passes false and keeps `encoding` whatever arrives.
   */
  followPeerEncoding?: boolean;
  /** Validate incoming messages against the schemas (default true). */
  validate?: boolean;
  /** Requests awaiting a response at once (default 10 000); beyond it `request()` rejects TOO_MANY_PENDING. */
  maxPendingRequests?: number;
  /** After a local close, how long to wait for the peer's close frame before destroying the socket (default 1 s). */
  closeGraceMs?: number;
  /**
   * Protocol errors the peer may cause per minute before the connection is closed with 1008
   * TOO_MANY_PEER_ERRORS (default 20; 0 = no limit). Counted: unknown ops, invalid messages answered
   * with an exception, responses for a seq_number nobody waits for. Not counted: a handler's own
   * failure (e.g. an update for a command that just ended). A burst of this many passes; they are
   * forgiven at this rate.
   */
  maxPeerErrorsPerMinute?: number;
  /**
   * Warning lines this connection logs per minute (default 10; 0 = no limit). Further warnings are
   * counted, and the next line logged (or the close) says how many were left out.
   */
  maxWarningsPerMinute?: number;
  /**
   * Bytes waiting to be sent to the peer (socket buffer plus frames held back) beyond which the peer
   * is taken not to read and the connection is closed with 1008 PEER_NOT_READING (default 64 MiB, or
   * 4 x highWaterMark when that is larger). Must be larger than highWaterMark.
   */
  maxBufferedBytes?: number;
  /** Receives one line per notable event; payloads are never logged (they may carry secrets). */
  logger?: Logger;
}

export type RequestHandler = (msg: Record<string, unknown>) => unknown | Promise<unknown>;

export interface CloseInfo { code: number; reason: string }


/** Close codes `ws` refuses to send (reserved or out of range) are replaced by 1000/1011. */
function sendableCloseCode(code: number): number {
  if (code === 1000 || (code >= 3000 && code <= 4999)) return code;
  if (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) return code;
  return CloseCodes.INTERNAL_ERROR;
}

function rawSize(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? Buffer.from(data) : data;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class ProtocolConnection {
  readonly closed: Promise<CloseInfo>;

  private readonly ws: WebSocket;
  private readonly maxFrameSize: number;
  private readonly requestTimeoutMs: number;
  private readonly validate: boolean;
  private readonly closeGraceMs: number;
  private readonly followPeerEncoding: boolean;
  private readonly log: Logger;
  private readonly maxBufferedBytes: number;
  /** Protocol errors the peer may still cause (see maxPeerErrorsPerMinute). */
  private readonly peerErrors: RateBudget;
  /** Warning lines this connection may still log (see maxWarningsPerMinute). */
  private readonly warnings: RateBudget;
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly pending: PendingRequests;
  private readonly sender: SendQueue;
  private readonly keepalive: Keepalive | undefined;
  private outgoingEncoding: Encoding;
  private nextSeq = 0;
  private lastReceived = performance.now();
  /** Set when this side decided to close: reported by `closed` instead of what the socket saw. */
  private localClose: CloseInfo | undefined;
  private isClosed = false;
  private resolveClosed!: (info: CloseInfo) => void;
  private graceTimer: NodeJS.Timeout | undefined;

  constructor(ws: WebSocket, options: ConnectionOptions = {}) {
    this.ws = ws;
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.validate = options.validate ?? true;
    this.closeGraceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
    this.log = options.logger ?? silentLogger;
    this.outgoingEncoding = options.encoding ?? 'msgpack';
    this.followPeerEncoding = options.followPeerEncoding ?? true;
    this.pending = new PendingRequests(options.maxPendingRequests ?? DEFAULT_MAX_PENDING_REQUESTS);
    const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.maxBufferedBytes = options.maxBufferedBytes ?? Math.max(DEFAULT_MAX_BUFFERED_BYTES, 4 * highWaterMark);
    if (this.maxBufferedBytes <= highWaterMark) {
      throw new RangeError(`maxBufferedBytes (${this.maxBufferedBytes}) must be larger than highWaterMark (${highWaterMark}): sends wait for drain at the high-water mark, the connection closes at maxBufferedBytes`);
    }
    this.peerErrors = new RateBudget(options.maxPeerErrorsPerMinute ?? DEFAULT_MAX_PEER_ERRORS_PER_MINUTE);
    this.warnings = new RateBudget(options.maxWarningsPerMinute ?? DEFAULT_MAX_WARNINGS_PER_MINUTE);
    this.sender = new SendQueue(ws, highWaterMark);
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });

    if (options.keepaliveIntervalMs) {
      this.keepalive = new Keepalive(options.keepaliveIntervalMs, options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS, {
        ping: (timeoutMs) => this.request('keepalive', {}, { timeoutMs }),
        lastReceivedAt: () => this.lastReceived,
        onDead: (err) => {
          this.log.warn(`protocol: ${err.message}`);
          this.terminate({ code: err.closeCode, reason: closeReason(err.message) }, err);
        },
      });
    }

    ws.on('message', (data, isBinary) => this.guard('message', () => this.onFrame(data, isBinary)));
    ws.on('close', (code, reason) => this.guard('close', () => this.onClose(code, reason.toString('utf8'))));
    // `ws` emits 'error' for protocol violations (bad UTF-8, frame over maxPayload...) and then closes;
    // without a listener the error would crash the process.
    ws.on('error', (err) => this.log.warn(`protocol: socket error: ${errorText(err)}`));

    if (ws.readyState === WebSocket.CLOSED) this.onClose(1006, 'socket already closed');
    else if (ws.readyState === WebSocket.OPEN) this.keepalive?.start();
    else ws.once('open', () => this.keepalive?.start());
  }

  /** Current outgoing encoding: the last frame the peer sent's, unless `followPeerEncoding` is false. */
  get encoding(): Encoding {
    return this.outgoingEncoding;
  }

  /** Bytes waiting to be written (socket buffer plus frames held back by backpressure). */
  get bufferedAmount(): number {
    return this.sender.bufferedAmount;
  }

  /** Requests awaiting a response. */
  get pendingRequests(): number {
    return this.pending.size;
  }

  /**
   * Sends `{op, seq_number, ...fields}` and resolves with the response's `result`. Rejects RemoteError
   * when the peer answers `is_exception`, ProtocolError on timeout, close or a too-large message.
   * Waits for the socket to drain first when it is over the high-water mark. Frames leave in call order.
   */
  async request(op: string, fields: Record<string, unknown> = {}, opts: { timeoutMs?: number | null } = {}): Promise<unknown> {
    if (this.isClosed || this.localClose) throw this.closedError(op);
    if (this.pending.full) throw new ProtocolError(ErrorCodes.TOO_MANY_PENDING, { limit: this.pending.size });
    const seq = this.nextSeq++;
    const frame = encodeMessage({ ...fields, op, seq_number: seq }, this.outgoingEncoding);
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    if (size > this.maxFrameSize) throw new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, { size, limit: this.maxFrameSize });
    const timeoutMs = opts.timeoutMs === undefined ? this.requestTimeoutMs : opts.timeoutMs;
    const answer = this.pending.add(seq, op, timeoutMs);
    // Backpressure: the frame queues behind earlier ones; the caller awaits until it is on the socket.
    const sent = new Promise<void>((resolve) => {
      this.sender.send(frame, (err) => {
        if (err) this.pending.settle(seq, { error: this.closedError(op) });
        resolve();
      });
    });
    this.checkBuffered();
    if (this.sender.blocked) await sent;
    return answer;
  }

  /**
   * Registers the handler for incoming `op` requests: its (awaited) return value is the response
   * result; a throw becomes an `is_exception` response carrying the error message.
   */
  setHandler(op: string, handler: RequestHandler): void {
    this.handlers.set(op, handler);
  }

  /** Closes with `code` and `reason`; pending requests reject with CONNECTION_CLOSED. */
  close(code: number = CloseCodes.NORMAL, reason = ''): void {
    if (this.isClosed || this.localClose) return;
    const info = { code: sendableCloseCode(code), reason: closeReason(reason) };
    this.localClose = info;
    this.keepalive?.stop();
    this.failOutstanding(this.closedError);
    try {
      this.ws.close(info.code, info.reason);
    } catch (err) {
      this.log.warn(`protocol: close failed (${errorText(err)}); destroying the socket`);
      this.ws.terminate();
      return;
    }
    // A vanished peer never answers the close handshake: destroy the socket after a grace period.
    this.graceTimer = setTimeout(() => this.ws.terminate(), this.closeGraceMs);
    this.graceTimer.unref();
  }

  // ---- incoming frames ----

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.isClosed || this.localClose) return;
    const size = rawSize(data);
    if (size > this.maxFrameSize) {
      return this.closeWith(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, { size, limit: this.maxFrameSize }));
    }
    this.lastReceived = performance.now();
    const frameEncoding: Encoding = isBinary ? 'msgpack' : 'json';
    if (this.followPeerEncoding) this.outgoingEncoding = frameEncoding;

    let msg: Record<string, unknown>;
    try {
      msg = decodeMessage(toBuffer(data), isBinary);
    } catch (err) {
      return this.closeWith(err instanceof ProtocolError ? err : new ProtocolError(ErrorCodes.BAD_FRAME, { encoding: frameEncoding, detail: errorText(err) }));
    }

    const checked = this.validate ? validateMessage(msg) : minimalCheck(msg);
    if (!checked.ok) return this.rejectFrame(msg, checked.error, frameEncoding);
    if (msg.op === 'response') return this.onResponse(checked.msg);
    this.onRequest(checked.msg, frameEncoding);
  }

  private onResponse(msg: Record<string, unknown> & { seq_number: number }): void {
    const seq = msg.seq_number;
    const op = this.pending.opOf(seq);
    if (op === undefined) {
      const what = `a response for seq_number ${seq}, which no request waits for`;
      this.warnPeer(`protocol: ignoring ${what} (it timed out or was never sent)`);
      this.peerError(what);
      return;
    }
    this.pending.settle(seq, msg.is_exception ? { error: new RemoteError(op, msg.result) } : { result: msg.result === undefined ? null : msg.result });
  }

  private onRequest(msg: Record<string, unknown> & { op: string; seq_number: number }, encoding: Encoding): void {
    const { op, seq_number: seq } = msg;
    const handler = this.handlers.get(op);
    if (!handler) {
      if (op === 'keepalive') return this.respond(seq, null, false, encoding);
      const err = new ProtocolError(ErrorCodes.UNKNOWN_OP, { op });
      this.warnPeer(`protocol: ${err.message} (seq_number ${seq})`);
      if (!this.peerError(err.message)) return;
      return this.respond(seq, err.message, true, encoding);
    }
    let result: unknown;
    try {
      result = handler(msg);
    } catch (err) {
      return this.handlerFailed(op, seq, err, encoding);
    }
    if (result instanceof Promise) {
      result.then((value) => this.respond(seq, value, false, encoding), (err: unknown) => this.handlerFailed(op, seq, err, encoding));
    } else {
      this.respond(seq, result, false, encoding);
    }
  }

  private handlerFailed(op: string, seq: number, err: unknown, encoding: Encoding): void {
    this.log.debug(`protocol: handler for ${op} (seq_number ${seq}) failed: ${errorText(err)}`);
    this.respond(seq, errorText(err), true, encoding);
  }

  /** A frame that decoded but is not a valid message: answer it if we can tell which request it was. */
  private rejectFrame(msg: Record<string, unknown>, err: ProtocolError, encoding: Encoding): void {
    const seq = msg.seq_number;
    const recoverable = msg.op !== 'response' && typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0;
    if (!recoverable) return this.closeWith(err);
    this.warnPeer(`protocol: ${err.message} (seq_number ${seq})`);
    if (!this.peerError(err.message)) return;
    this.respond(seq, err.message, true, encoding);
  }

  private respond(seq: number, result: unknown, isException: boolean, encoding: Encoding): void {
    if (this.isClosed || this.localClose) return;
    const response: Record<string, unknown> = { op: 'response', seq_number: seq, result: result === undefined ? null : result };
    if (isException) response.is_exception = true;
    let frame: Buffer | string;
    try {
      frame = encodeMessage(response, encoding);
      const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
      if (size > this.maxFrameSize) throw new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, { size, limit: this.maxFrameSize });
    } catch (err) {
      if (isException) return this.log.error(`protocol: cannot send the exception response for seq_number ${seq}: ${errorText(err)}`);
      return this.respond(seq, errorText(err), true, encoding);
    }
    this.sender.send(frame);
    this.checkBuffered();
  }

  // ---- a peer that misbehaves ----

  /** Logs a warning the peer caused, at most maxWarningsPerMinute a minute; the rest are counted. */
  private warnPeer(text: string): void {
    if (!this.warnings.take()) return;
    const left = this.warnings.takeRefused();
    this.log.warn(left ? `${text} (${left} similar warnings on this connection were not logged)` : text);
  }

  /**
   * Counts one protocol error caused by the peer; past maxPeerErrorsPerMinute the connection is
   * closed and false is returned (nothing more is answered).
   */
  private peerError(what: string): boolean {
    if (this.peerErrors.take()) return true;
    this.closeWith(new ProtocolError(ErrorCodes.TOO_MANY_PEER_ERRORS, { limit: this.peerErrors.perMinute, last: what }));
    return false;
  }

  /** A peer that keeps sending requests but reads none of our answers must not grow our memory. */
  private checkBuffered(): void {
    if (this.sender.bufferedAmount <= this.maxBufferedBytes || this.isClosed || this.localClose) return;
    this.closeWith(new ProtocolError(ErrorCodes.PEER_NOT_READING, { limit: this.maxBufferedBytes }));
  }

  // ---- closing ----

  /** Ends the connection because of `err`, with its catalog close code. */
  private closeWith(err: ProtocolError): void {
    const left = this.warnings.takeRefused();
    this.log.warn(`protocol: closing the connection: ${err.code}: ${err.message}${left ? ` (${left} warnings on this connection were not logged)` : ''}`);
    this.close(err.closeCode, err.message);
  }

  /** Destroys the socket without a handshake (the peer is unresponsive). */
  private terminate(info: CloseInfo, err: Error): void {
    if (this.isClosed || this.localClose) return;
    this.localClose = info;
    this.failOutstanding(() => err);
    this.ws.terminate();
  }

  private failOutstanding(makeError: (op: string) => Error): void {
    this.sender.stop(makeError('send'));
    this.pending.failAll(makeError);
  }

  private onClose(code: number, reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    clearTimeout(this.graceTimer);
    this.keepalive?.stop();
    const info = this.localClose ?? { code, reason };
    this.failOutstanding((op) => new ProtocolError(ErrorCodes.CONNECTION_CLOSED, { op, code: info.code, reason: info.reason ? `: ${info.reason}` : '' }));
    this.log.debug(`protocol: connection closed (${info.code}${info.reason ? ` ${info.reason}` : ''})`);
    this.resolveClosed(info);
  }

  private readonly closedError = (op: string): ProtocolError => {
    const info = this.localClose ?? { code: 1006, reason: '' };
    return new ProtocolError(ErrorCodes.CONNECTION_CLOSED, { op, code: info.code, reason: info.reason ? `: ${info.reason}` : '' });
  };

  /** Runs a socket event handler so that nothing it throws escapes into `ws` (and crashes the process). */
  private guard(event: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error(`protocol: internal error while handling ${event}: ${errorText(err)}`);
      if (event !== 'close') this.close(CloseCodes.INTERNAL_ERROR, 'internal error');
    }
  }
}

/** With validation off, still require the envelope the connection itself relies on. */
function minimalCheck(msg: Record<string, unknown>): ReturnType<typeof validateMessage> {
  const { op, seq_number: seq } = msg;
  if (typeof op === 'string' && typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0) {
    return { ok: true, msg: msg as Record<string, unknown> & { op: string; seq_number: number } };
  }
  return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_MESSAGE, { op: typeof op === 'string' ? op : 'unknown', detail: 'op must be a string and seq_number a non-negative integer' }) };
}
