/** Requests awaiting a response, by seq_number, each with its own optional timeout. */
import { ErrorCodes, ProtocolError } from './errors.js';

interface Pending {
  op: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

export class PendingRequests {
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly limit: number) {}

  get size(): number {
    return this.pending.size;
  }

  get full(): boolean {
    return this.pending.size >= this.limit;
  }

  /** Registers `seq`; the returned promise settles via settle()/failAll() or rejects REQUEST_TIMEOUT. */
  add(seq: number, op: string, timeoutMs: number | null): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const entry: Pending = { op, resolve, reject, timer: undefined };
      if (timeoutMs !== null && Number.isFinite(timeoutMs)) {
        entry.timer = setTimeout(() => {
          this.pending.delete(seq);
          reject(new ProtocolError(ErrorCodes.REQUEST_TIMEOUT, { op, seq, timeoutMs }));
        }, timeoutMs);
        entry.timer.unref();
      }
      this.pending.set(seq, entry);
    });
  }

  /** The op of a pending request, or undefined when `seq` is not pending. */
  opOf(seq: number): string | undefined {
    return this.pending.get(seq)?.op;
  }

  /** Settles `seq` with a result or an error; false when nothing was waiting for it. */
  settle(seq: number, outcome: { result: unknown } | { error: Error }): boolean {
    const entry = this.pending.get(seq);
    if (!entry) return false;
    this.pending.delete(seq);
    clearTimeout(entry.timer);
    if ('error' in outcome) entry.reject(outcome.error);
    else entry.resolve(outcome.result);
    return true;
  }

  /** Rejects every pending request with the error `makeError(op)` builds. */
  failAll(makeError: (op: string) => Error): void {
    const entries = [...this.pending.values()];
    this.pending.clear();
    for (const entry of entries) {
      clearTimeout(entry.timer);
      entry.reject(makeError(entry.op));
    }
  }
}
