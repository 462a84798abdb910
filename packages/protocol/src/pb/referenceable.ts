/**
 * The two kinds of object reference PB passes around:
 * - a Referenceable is an object of this side the peer may call: it names the methods it exposes
 *   (the allow-list of remote methods; nothing else is callable) and travels as `['remote', id]`;
 * - a RemoteReference is the peer's object as this side sees it: `callRemote(name, ...args)` sends a
 *   message and resolves with the answer. It travels back to its owner as `['local', id]`.
 */

/** What a remote method receives: positional and keyword arguments, already decoded. */
export interface IncomingCall {
  readonly method: string;
  readonly args: unknown[];
  readonly kwargs: Record<string, unknown>;
}

/** A remote method: returns the answer (or a promise of it); throwing answers with an error. */
export type RemoteMethod = (call: IncomingCall) => unknown;

export class Referenceable {
  private readonly methods: ReadonlyMap<string, RemoteMethod>;

  /** `methods`: the names the peer may call (as `remote_<name>` in Twisted) and their handlers. */
  constructor(methods: Readonly<Record<string, RemoteMethod>>, readonly label = 'object') {
    this.methods = new Map(Object.entries(methods));
  }

  /** The handler for `name`, if this object exposes it. */
  methodFor(name: string): RemoteMethod | undefined {
    return this.methods.get(name);
  }

  get methodNames(): string[] { return [...this.methods.keys()]; }
}

export interface CallOptions {
  /** Keyword arguments (Python `**kwargs`). */
  kwargs?: Record<string, unknown>;
  /** Reject with CALL_TIMEOUT when no answer comes within this many ms (0 or unset: wait until disconnect). */
  timeoutMs?: number;
  /** False sends the call without asking for an answer; the promise then resolves with undefined at once. */
  answer?: boolean;
}

/** The broker side of a RemoteReference (kept as an interface so references do not import the broker). */
export interface ReferenceOwner {
  readonly connected: boolean;
  sendMessage(target: number | string, method: string, args: unknown[], options: CallOptions): Promise<unknown>;
  sendDecref(target: number, count: number): void;
  onDisconnect(listener: (reason: string) => void): () => void;
}

export class RemoteReference {
  /** How many times the peer lent this reference; `release()` gives them all back. */
  owed = 0;

  /**
   * `target`: the peer's id for the object (a number, or a name such as `root`).
   * `refCounted`: the peer counts what it lent, so this side must release it (false for names).
   */
  constructor(readonly owner: ReferenceOwner, readonly target: number | string, readonly refCounted: boolean) {}

  /** Calls `method` with positional arguments; resolves with the decoded answer. */
  callRemote(method: string, ...args: unknown[]): Promise<unknown> {
    return this.owner.sendMessage(this.target, method, args, {});
  }

  /** Calls `method` with positional arguments and options (keyword arguments, timeout, no answer). */
  callRemoteWith(method: string, args: unknown[], options: CallOptions = {}): Promise<unknown> {
    return this.owner.sendMessage(this.target, method, args, options);
  }

  /** Runs `listener` once when the connection is gone; returns a function that unregisters it. */
  notifyOnDisconnect(listener: (reason: string) => void): () => void {
    return this.owner.onDisconnect(listener);
  }

  /** Tells the peer this side no longer needs the object (one `decref` per time it was lent). */
  release(): void {
    if (!this.refCounted || this.owed === 0 || typeof this.target !== 'number') return;
    const count = this.owed;
    this.owed = 0;
    if (this.owner.connected) this.owner.sendDecref(this.target, count);
  }
}
