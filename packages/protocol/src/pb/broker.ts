/**
 * The PB broker: one end of a Perspective Broker connection over a byte stream (TCP), either role.
 *
 * On connect the server offers its banana dialects (`['pb', 'none']`), the client picks one, and
 * both announce broker version 6. From then on either side sends:
 *   ['message', requestId, objectId, method, answerRequired, args, kwargs]   a call on an object
 *   ['answer', requestId, result] / ['error', requestId, failure]           its outcome
 *   ['decref', objectId]                                                    "I dropped one reference"
 * Objects this side lends the peer (Referenceables) live in a table under numeric ids (plus names
 * such as `root`) until the peer releases them; the peer's objects appear here as RemoteReferences.
 *
 * Bounded everywhere: banana element, depth, item and expression limits; lent objects, remote
 * references, calls waiting for answers, calls from the peer running at once (beyond it the socket
 * is paused, so TCP slows the peer), bytes waiting to be sent, and protocol errors a minute. When
 * the connection ends, every call waiting for an answer rejects with CONNECTION_LOST and the reason.
 * Nothing in a socket event handler throws.
 */
import type { Duplex } from 'node:stream';
import type { Logger } from '../logger.js';

/** The broker logs debug lines, warnings and errors only. */
type ProtocolLogger = Pick<Logger, 'debug' | 'warn' | 'error'>;
import { shortText } from '../errors.js';
import { RateBudget } from '../rate-budget.js';
import { BananaDecoder, resolveBananaLimits, type BananaLimits, type BananaValue, type ResolvedBananaLimits } from './banana-decoder.js';
import { encodeBanana, type BananaInput } from './banana-encoder.js';
import { BANANA_DIALECTS, DEFAULT_PB_HANDSHAKE_TIMEOUT_MS, DEFAULT_PB_MAX_BUFFERED_BYTES, DEFAULT_PB_MAX_INFLIGHT_CALLS, DEFAULT_PB_MAX_LOCAL_OBJECTS,
  DEFAULT_PB_MAX_PEER_ERRORS_PER_MINUTE, DEFAULT_PB_MAX_PENDING_CALLS, DEFAULT_PB_MAX_REMOTE_REFERENCES, PB_VERSION,
  type BananaDialect } from './constants.js';
import { PbErrorCodes, PbProtocolError, PbRemoteError } from './errors.js';
import { COPYABLE_FAILURE_TYPE, FailureTypes, PbError, PbFailure } from './failure.js';
import { jelly } from './jelly-encoder.js';
import { unjelly, type UnjellyContext } from './jelly-decoder.js';
import { PbTuple, type CopyableFactory } from './jelly-types.js';
import { type Referenceable, RemoteReference, type CallOptions, type ReferenceOwner } from './referenceable.js';

export interface BrokerOptions extends BananaLimits {
  /** `server` offers the dialects (the side that accepted the connection); `client` chooses. */
  role: 'server' | 'client';
  /** Objects lent to the peer at once. @default 1024 (Twisted's MAX_BROKER_REFS) */
  maxLocalObjects?: number;
  /** Distinct references to the peer's objects held at once. @default 1024 */
  maxRemoteReferences?: number;
  /** Calls waiting for an answer at once. @default 10000 */
  maxPendingCalls?: number;
  /** Calls from the peer running at once before the socket is paused. @default 256 */
  maxInflightCalls?: number;
  /** Bytes waiting to be sent before the peer is taken not to read and the connection is closed. @default 64 MiB */
  maxBufferedBytes?: number;
  /** Protocol errors from the peer a minute before the connection is closed (0 = no limit). @default 20 */
  maxPeerErrorsPerMinute?: number;
  /**
   * Copyable types accepted from the peer besides `twisted.spread.pb.CopyableFailure` (always
   * accepted, as a PbFailure): Python type name -> factory building the local value from the state.
   */
  copyables?: ReadonlyMap<string, CopyableFactory>;
  /** Time the peer has to finish the dialect handshake before the connection is closed. @default 30000 */
  handshakeTimeoutMs?: number;
  /** Bytes already read from the socket before the broker took it over (a shared port's first bytes). */
  initialData?: Buffer;
  /**
   * Objects published by name from the start (a server's `root`), so calls in `initialData` find
   * them; `setNamedObject` adds more later.
   */
  namedObjects?: Readonly<Record<string, Referenceable>>;
  /**
   * A server whose dialect offer (`dialectOffer()`) was already written to the socket, by a shared
   * port that greets a silent client before it knows the client speaks PB. @default false
   */
  offerSent?: boolean;
  /** For logs: who the peer is. */
  label?: string;
  logger?: ProtocolLogger;
}

export interface BrokerCloseInfo {
  /** Why the connection ended, in words. */
  reason: string;
  /** The protocol error that ended it, if any. */
  error: PbProtocolError | null;
}

interface PendingCall {
  method: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | null;
}

interface LentObject { object: Referenceable; refcount: number }

/** Characters of a local error's text sent to the peer (a failure must stay far below the element limit). */
const MAX_FAILURE_TEXT = 4000;
const NULL_LOGGER: ProtocolLogger = { debug() {}, warn() {}, error() {} };
/** Answers to calls that timed out are expected late; remembered (a bounded number) so they are not peer errors. */
const ABANDONED_MEMORY = 1024;

export class Broker implements ReferenceOwner {
  readonly ready: Promise<void>;
  readonly closed: Promise<BrokerCloseInfo>;
  readonly role: 'server' | 'client';
  private readonly limits: ResolvedBananaLimits;
  private readonly decoder: BananaDecoder;
  private readonly logger: ProtocolLogger;
  private readonly label: string;
  private readonly peerErrors: RateBudget;
  private readonly copyables: ReadonlyMap<string, CopyableFactory>;
  private readonly maxLocalObjects: number;
  private readonly maxRemoteReferences: number;
  private readonly maxPendingCalls: number;
  private readonly maxInflightCalls: number;
  private readonly maxBufferedBytes: number;
  private dialect: BananaDialect | null = null;
  private readonly named = new Map<string, Referenceable>();
  private readonly lent = new Map<number, LentObject>();
  private readonly lentIds = new Map<Referenceable, number>();
  private readonly remotes = new Map<number, RemoteReference>();
  private readonly pending = new Map<number, PendingCall>();
  private readonly abandoned = new Set<number>();
  private readonly disconnectListeners = new Set<(reason: string) => void>();
  private nextLocalId = 1;
  private nextRequestId = 1;
  private inflight = 0;
  private paused = false;
  private closeInfo: BrokerCloseInfo | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private resolveClosed!: (info: BrokerCloseInfo) => void;

  constructor(private readonly socket: Duplex, options: BrokerOptions) {
    this.role = options.role;
    this.limits = resolveBananaLimits(options);
    this.decoder = new BananaDecoder(this.limits);
    this.logger = options.logger ?? NULL_LOGGER;
    this.label = options.label ?? 'peer';
    this.peerErrors = new RateBudget(options.maxPeerErrorsPerMinute ?? DEFAULT_PB_MAX_PEER_ERRORS_PER_MINUTE);
    this.copyables = new Map([...(options.copyables ?? []), [COPYABLE_FAILURE_TYPE, (state: unknown) => PbFailure.fromCopyState(state)]]);
    this.maxLocalObjects = options.maxLocalObjects ?? DEFAULT_PB_MAX_LOCAL_OBJECTS;
    this.maxRemoteReferences = options.maxRemoteReferences ?? DEFAULT_PB_MAX_REMOTE_REFERENCES;
    this.maxPendingCalls = options.maxPendingCalls ?? DEFAULT_PB_MAX_PENDING_CALLS;
    this.maxInflightCalls = options.maxInflightCalls ?? DEFAULT_PB_MAX_INFLIGHT_CALLS;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_PB_MAX_BUFFERED_BYTES;
    this.ready = new Promise((resolve, reject) => { this.resolveReady = resolve; this.rejectReady = reject; });
    this.ready.catch(() => {});
    this.closed = new Promise((resolve) => { this.resolveClosed = resolve; });

    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (err: Error) => this.finish({ reason: `socket error: ${err.message}`, error: null }));
    socket.on('end', () => this.finish({ reason: 'the peer closed the connection', error: null }));
    socket.on('close', () => this.finish({ reason: 'the connection closed', error: null }));
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULT_PB_HANDSHAKE_TIMEOUT_MS;
    if (handshakeTimeoutMs > 0) {
      this.handshakeTimer = setTimeout(() => this.fail(new PbProtocolError(PbErrorCodes.HANDSHAKE_TIMEOUT, { timeoutMs: handshakeTimeoutMs })), handshakeTimeoutMs);
      this.handshakeTimer.unref?.();
    }
    // Twisted's server speaks first: it offers its dialects, spelled out (no short strings yet).
    for (const [name, object] of Object.entries(options.namedObjects ?? {})) this.named.set(name, object);
    if (this.role === 'server' && !options.offerSent) this.write([...BANANA_DIALECTS], false);
    if (options.initialData?.length) this.receive(options.initialData);
  }

  get connected(): boolean { return this.closeInfo === null; }

  /** The negotiated banana dialect (null until the handshake is done). */
  get negotiatedDialect(): BananaDialect | null { return this.dialect; }

  /** Objects currently lent to the peer (for tests and metrics). */
  get lentCount(): number { return this.lent.size; }

  /** Calls currently waiting for an answer. */
  get pendingCount(): number { return this.pending.size; }

  /** Publishes `object` under a name the peer can call without being handed it (Twisted's `root`). */
  setNamedObject(name: string, object: Referenceable): void {
    this.named.set(name, object);
  }

  /** A reference to the peer's object published under `name` (the client's way to its `root`). */
  remoteForName(name: string): RemoteReference {
    return new RemoteReference(this, name, false);
  }

  /** Runs `listener` once when the connection ends (at once, asynchronously, if it already has). */
  onDisconnect(listener: (reason: string) => void): () => void {
    if (this.closeInfo) {
      const reason = this.closeInfo.reason;
      queueMicrotask(() => listener(reason));
      return () => {};
    }
    this.disconnectListeners.add(listener);
    return () => { this.disconnectListeners.delete(listener); };
  }

  /** Ends the connection; calls waiting for answers reject with CONNECTION_LOST and `reason`. */
  close(reason = 'closed by this side'): void {
    this.finish({ reason, error: null });
  }

  // ---- sending ----

  sendMessage(target: number | string, method: string, args: unknown[], options: CallOptions): Promise<unknown> {
    if (this.closeInfo) return Promise.reject(this.lost(method));
    const answer = options.answer ?? true;
    if (answer && this.pending.size >= this.maxPendingCalls) {
      return Promise.reject(new PbProtocolError(PbErrorCodes.TOO_MANY_PENDING, { limit: this.maxPendingCalls }));
    }
    const requestId = this.nextRequestId++;
    const wireTarget = typeof target === 'number' ? target : Buffer.from(target, 'utf8');
    let bytes: Buffer;
    try {
      const netArgs = jelly(new PbTuple(...args), this);
      const netKwargs = jelly(options.kwargs ?? {}, this);
      bytes = this.encode(['message', requestId, wireTarget, method, answer ? 1 : 0, netArgs, netKwargs]);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!answer) {
      this.send(bytes);
      return Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      const call: PendingCall = { method, resolve, reject, timer: null };
      if (options.timeoutMs && options.timeoutMs > 0) {
        const timeoutMs = options.timeoutMs;
        call.timer = setTimeout(() => {
          this.pending.delete(requestId);
          this.abandon(requestId);
          reject(new PbProtocolError(PbErrorCodes.CALL_TIMEOUT, { method, timeoutMs }));
        }, timeoutMs);
        call.timer.unref?.();
      }
      this.pending.set(requestId, call);
      if (!this.send(bytes)) {
        this.pending.delete(requestId);
        if (call.timer) clearTimeout(call.timer);
        reject(this.lost(method));
      }
    });
  }

  sendDecref(target: number, count: number): void {
    this.remotes.delete(target);
    for (let i = 0; i < count && this.connected; i++) this.write(['decref', target]);
  }

  /** JellyContext: lends `object` to the peer under a numeric id (counted once more if already lent). */
  lend(object: Referenceable): number {
    const known = this.lentIds.get(object);
    if (known !== undefined) {
      this.lent.get(known)!.refcount++;
      return known;
    }
    if (this.lent.size >= this.maxLocalObjects) throw new PbProtocolError(PbErrorCodes.TOO_MANY_LOCAL_OBJECTS, { limit: this.maxLocalObjects });
    const id = this.nextLocalId++;
    this.lent.set(id, { object, refcount: 1 });
    this.lentIds.set(object, id);
    return id;
  }

  /** JellyContext: the peer's id for one of its own objects, when the reference came from this connection. */
  ownTarget(ref: RemoteReference): number | string | null {
    return ref.owner === this ? ref.target : null;
  }

  /** Encodes one expression; throws CANNOT_SEND for what the peer would refuse (too large). */
  private encode(expression: BananaInput, vocabulary = this.dialect === 'pb'): Buffer {
    return encodeBanana(expression, { vocabulary, maxElementSize: this.limits.maxElementSize, prefixLimit: this.limits.prefixLimit });
  }

  /** Sends encoded bytes; false when the connection is gone (or just ended because the peer does not read). */
  private send(bytes: Buffer): boolean {
    if (this.closeInfo) return false;
    this.socket.write(bytes);
    if (this.socket.writableLength > this.maxBufferedBytes) {
      this.fail(new PbProtocolError(PbErrorCodes.PEER_NOT_READING, { limit: this.maxBufferedBytes }));
      return false;
    }
    return true;
  }

  /** Encodes and sends an expression made by this side (protocol messages that always encode). */
  private write(expression: BananaInput, vocabulary = this.dialect === 'pb'): boolean {
    return this.send(this.encode(expression, vocabulary));
  }

  // ---- receiving ----

  private receive(chunk: Buffer): void {
    if (this.closeInfo) return;
    try {
      this.decoder.push(chunk, (expression) => this.expression(expression));
    } catch (err) {
      this.fail(err instanceof PbProtocolError ? err : new PbProtocolError(PbErrorCodes.BAD_MESSAGE, { detail: (err as Error).message }, { cause: err }));
    }
  }

  private expression(e: BananaValue): void {
    if (this.closeInfo) return;
    if (this.dialect === null) return this.negotiate(e);
    if (!Array.isArray(e) || !Buffer.isBuffer(e[0])) throw badMessage('every broker message is a list that starts with its name');
    const name = e[0].toString('latin1');
    switch (name) {
      case 'version': return this.version(e);
      case 'message': return this.message(e, false);
      case 'cachemessage': return this.message(e, true);
      case 'answer': return this.answer(e);
      case 'error': return this.error(e);
      case 'decref': return this.decref(e);
      case 'decache': case 'uncache':
        return this.peerError(`the peer sent ${name}, but this side never lends cached copies`);
      case 'didNotUnderstand':
        this.logger.warn(`PB ${this.label}: the peer did not understand a message: ${describe(e[1])}`);
        return;
      default:
        this.write(['didNotUnderstand', Buffer.from(name, 'latin1')]);
        return this.peerError(`unknown broker message ${describe(e[0])}`);
    }
  }

  /** The dialect handshake (Twisted's banana "profiles"); the first expression each way. */
  private negotiate(e: BananaValue): void {
    if (this.role === 'server') {
      const choice = Buffer.isBuffer(e) ? e.toString('latin1') : null;
      if (choice !== 'pb' && choice !== 'none') {
        throw new PbProtocolError(PbErrorCodes.BAD_DIALECT, { detail: `the client chose ${describe(e)}, which was not offered` });
      }
      return this.select(choice);
    }
    const offered = Array.isArray(e) ? e.filter(Buffer.isBuffer).map((b) => b.toString('latin1')) : [];
    const choice = offered.find((d): d is BananaDialect => (BANANA_DIALECTS as readonly string[]).includes(d));
    if (!choice) throw new PbProtocolError(PbErrorCodes.BAD_DIALECT, { detail: `the server offered ${describe(e)}, none of which this side speaks` });
    this.write(choice, false);
    this.select(choice);
  }

  private select(dialect: BananaDialect): void {
    this.dialect = dialect;
    this.decoder.dialect = dialect;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.write(['version', PB_VERSION]);
    this.resolveReady();
  }

  private version(e: BananaValue[]): void {
    if (e[1] !== PB_VERSION) throw new PbProtocolError(PbErrorCodes.VERSION_MISMATCH, { version: describe(e[1]), expected: PB_VERSION });
  }

  private message(e: BananaValue[], cached: boolean): void {
    if (e.length !== 7) throw badMessage(`a message has 6 fields, got ${e.length - 1}`);
    const [, requestId, target, methodBytes, answerRequired, netArgs, netKwargs] = e;
    if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId)) throw badMessage('a message id must be an integer');
    if (!Buffer.isBuffer(methodBytes)) throw badMessage('a method name must be a byte string');
    if (typeof target !== 'number' && !Buffer.isBuffer(target)) throw badMessage('an object id must be an integer or a name');
    const method = methodBytes.toString('utf8');
    const wantsAnswer = answerRequired !== 0;
    const objectName = typeof target === 'number' ? String(target) : target.toString('utf8');
    const object = cached ? undefined : typeof target === 'number' ? this.lent.get(target)?.object : this.named.get(objectName);

    let run: () => unknown;
    if (!object) {
      run = () => { throw new PbError(FailureTypes.PB_ERROR, new PbProtocolError(PbErrorCodes.UNKNOWN_OBJECT, { method, id: objectName }).message); };
    } else {
      let args: unknown;
      let kwargs: unknown;
      try {
        args = unjelly(netArgs!, this.unjellyContext());
        kwargs = unjelly(netKwargs!, this.unjellyContext());
        if (!Array.isArray(args)) throw new PbProtocolError(PbErrorCodes.BAD_JELLY, { detail: 'the arguments of a call must be a tuple' });
        if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) throw new PbProtocolError(PbErrorCodes.BAD_JELLY, { detail: 'the keyword arguments of a call must be a dictionary' });
      } catch (err) {
        const text = (err as Error).message;
        this.peerError(`arguments of ${method}: ${text}`);
        run = () => { throw new PbError(FailureTypes.INSECURE_JELLY, text); };
        return this.invoke(requestId, method, wantsAnswer, run);
      }
      const handler = object.methodFor(method);
      if (!handler) {
        this.peerError(`call of ${object.label}.${method}, which it does not expose`);
        run = () => { throw new PbError(FailureTypes.NO_SUCH_METHOD, new PbProtocolError(PbErrorCodes.NO_SUCH_METHOD, { method }).message); };
      } else {
        run = () => handler({ method, args: args as unknown[], kwargs: kwargs as Record<string, unknown> });
      }
    }
    this.invoke(requestId, method, wantsAnswer, run);
  }

  /** Runs an incoming call and answers it; counts it as in flight meanwhile (the socket pauses past the limit). */
  private invoke(requestId: number, method: string, wantsAnswer: boolean, run: () => unknown): void {
    this.inflight++;
    if (this.inflight >= this.maxInflightCalls && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    const settle = (ok: boolean, value: unknown) => {
      this.inflight--;
      if (this.paused && this.inflight < this.maxInflightCalls && this.connected) {
        this.paused = false;
        this.socket.resume();
      }
      if (!wantsAnswer || !this.connected) return;
      if (ok) {
        let bytes: Buffer;
        try {
          bytes = this.encode(['answer', requestId, jelly(value, this)]);
        } catch (err) {
          const text = `the answer to ${method} cannot be sent: ${(err as Error).message}`;
          this.logger.error(`PB ${this.label}: ${text}`);
          this.write(['error', requestId, jelly(PbFailure.of(FailureTypes.PB_ERROR, text), this)]);
          return;
        }
        this.send(bytes);
        return;
      }
      try {
        this.write(['error', requestId, jelly(this.failureOf(method, value), this)]);
      } catch (err) {
        this.logger.error(`PB ${this.label}: the error answer to ${method} cannot be sent: ${(err as Error).message}`);
      }
    };
    let outcome: unknown;
    try {
      outcome = run();
    } catch (err) {
      settle(false, err);
      return;
    }
    if (outcome instanceof Promise) outcome.then((v) => settle(true, v), (err) => settle(false, err));
    else settle(true, outcome);
  }

  private failureOf(method: string, err: unknown): PbFailure {
    if (err instanceof PbError) return err.failure;
    if (err instanceof PbFailure) return err;
    const text = shortText(err instanceof Error ? err.message : String(err), MAX_FAILURE_TEXT);
    this.logger.warn(`PB ${this.label}: ${method} failed: ${text}`);
    return PbFailure.of(FailureTypes.RUNTIME_ERROR, text);
  }

  private answer(e: BananaValue[]): void {
    this.outcome(e, 'an answer', (call, value) => call.resolve(value));
  }

  private error(e: BananaValue[]): void {
    this.outcome(e, 'an error', (call, value) => {
      const failure = value instanceof PbFailure ? value
        : new PbFailure({ type: 'builtins.Exception', value: typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value) });
      call.reject(new PbRemoteError(call.method, failure));
    });
  }

  /** An answer or error for one of our calls: decoded, then handed to `settle`. */
  private outcome(e: BananaValue[], what: string, settle: (call: PendingCall, value: unknown) => void): void {
    const call = this.takePending(e, what);
    if (!call) return;
    let value: unknown;
    try {
      value = unjelly(e[2]!, this.unjellyContext());
    } catch (err) {
      // Twisted drops a connection whose answer it cannot decode; the call fails with the reason.
      call.reject(err as Error);
      throw err;
    }
    settle(call, value);
  }

  private takePending(e: BananaValue[], what: string): PendingCall | null {
    if (e.length !== 3) throw badMessage(`${what} has 2 fields, got ${e.length - 1}`);
    const requestId = e[1];
    if (typeof requestId !== 'number') throw badMessage(`the id of ${what} must be an integer`);
    const call = this.pending.get(requestId);
    if (!call) {
      if (!this.abandoned.delete(requestId)) this.peerError(`${what} for call ${requestId}, which nobody waits for`);
      return null;
    }
    this.pending.delete(requestId);
    if (call.timer) clearTimeout(call.timer);
    return call;
  }

  private decref(e: BananaValue[]): void {
    const id = e[1];
    const entry = typeof id === 'number' ? this.lent.get(id) : undefined;
    if (e.length !== 2 || !entry) return this.peerError(`decref of ${describe(id)}, which this side did not lend`);
    if (--entry.refcount > 0) return;
    this.lent.delete(id as number);
    this.lentIds.delete(entry.object);
  }

  private unjellyContext(): UnjellyContext {
    return {
      copyables: this.copyables,
      maxDepth: this.limits.maxDepth,
      maxItems: this.limits.maxItems,
      remote: (id) => {
        let ref = this.remotes.get(id);
        if (!ref) {
          if (this.remotes.size >= this.maxRemoteReferences) throw new PbProtocolError(PbErrorCodes.TOO_MANY_REMOTE_REFERENCES, { limit: this.maxRemoteReferences });
          ref = new RemoteReference(this, id, true);
          this.remotes.set(id, ref);
        }
        ref.owed++;
        return ref;
      },
      local: (id) => {
        const object = typeof id === 'number' ? this.lent.get(id)?.object : this.named.get(id);
        if (!object) throw new PbProtocolError(PbErrorCodes.BAD_JELLY, { detail: `the peer referred to object ${id} of this side, which it does not hold` });
        return object;
      },
    };
  }

  // ---- errors and the end ----

  /** A protocol error of the peer that does not end the connection by itself; too many a minute do. */
  private peerError(detail: string): void {
    if (this.peerErrors.take()) {
      this.logger.warn(`PB ${this.label}: protocol error of the peer: ${detail}`);
      return;
    }
    this.fail(new PbProtocolError(PbErrorCodes.TOO_MANY_PEER_ERRORS, { limit: this.peerErrors.perMinute, last: detail }));
  }

  private fail(error: PbProtocolError): void {
    if (this.closeInfo) return;
    this.logger.warn(`PB ${this.label}: closing the connection: ${error.message}`);
    this.finish({ reason: error.message, error });
  }

  private finish(info: BrokerCloseInfo): void {
    if (this.closeInfo) return;
    this.closeInfo = info;
    this.decoder.dialect = null;
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    // Flush what was written (an error answer, say) and close; destroy if the peer lingers.
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 1_000);
    timer.unref?.();
    this.socket.once('close', () => clearTimeout(timer));
    if (this.paused) this.socket.resume();
    this.rejectReady(new PbProtocolError(PbErrorCodes.CONNECTION_LOST, { method: 'the handshake', reason: info.reason }));
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const call of pending) {
      if (call.timer) clearTimeout(call.timer);
      call.reject(this.lost(call.method));
    }
    this.lent.clear();
    this.lentIds.clear();
    this.remotes.clear();
    const listeners = [...this.disconnectListeners];
    this.disconnectListeners.clear();
    for (const listener of listeners) {
      try { listener(info.reason); } catch (err) { this.logger.warn(`PB ${this.label}: a disconnect listener failed: ${(err as Error).message}`); }
    }
    this.resolveClosed(info);
  }

  private lost(method: string): PbProtocolError {
    return new PbProtocolError(PbErrorCodes.CONNECTION_LOST, { method, reason: this.closeInfo?.reason ?? 'closed' });
  }

  private abandon(requestId: number): void {
    this.abandoned.add(requestId);
    if (this.abandoned.size > ABANDONED_MEMORY) this.abandoned.delete(this.abandoned.values().next().value as number);
  }
}

/** The bytes a PB server opens every connection with: its banana dialects, spelled out (PROTOCOL.md §8.1). */
export function dialectOffer(): Buffer {
  return encodeBanana([...BANANA_DIALECTS], { vocabulary: false });
}

function badMessage(detail: string): PbProtocolError {
  return new PbProtocolError(PbErrorCodes.BAD_MESSAGE, { detail });
}

/** A short printable form of a value from the wire, for logs and error texts. */
function describe(v: BananaValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (Buffer.isBuffer(v)) return JSON.stringify(v.subarray(0, 64).toString('latin1')) + (v.length > 64 ? `... (${v.length} bytes)` : '');
  if (Array.isArray(v)) return `a list of ${v.length}`;
  return String(v);
}
