/**
 * Master and worker locks, Buildbot-style, with two guarantees Buildbot's lock code only
 * approximates:
 *  - all locks a build (or step) needs are acquired together, atomically: a waiter holds nothing
 *    until it can have everything, so two builds can never deadlock holding one lock each;
 *  - waiters are served first come, first served: a waiter that cannot proceed blocks the locks it
 *    wants for everyone behind it, so an exclusive waiter is not starved by a stream of counting
 *    ones (later counting requests queue behind it).
 * A worker lock is one lock per worker name (capacity `maxCountForWorker[worker] ?? maxCount`).
 */
import type { LockAccess, LockDescriptor, LockKind, LockMode } from './lock-types.js';
import type { LockOwnerInfo, LockState } from '../data/resources/locks.js';

export type { LockAccess, LockDescriptor, LockMode } from './lock-types.js';
export type { LockOwnerInfo, LockState } from '../data/resources/locks.js';

class Descriptor implements LockDescriptor {
  constructor(
    readonly kind: LockKind,
    readonly name: string,
    readonly maxCount: number,
    readonly maxCountForWorker?: Readonly<Record<string, number>>,
  ) {
    if (!name || typeof name !== 'string') throw new TypeError('a lock needs a non-empty name');
    if (!Number.isInteger(maxCount) || maxCount < 1) throw new RangeError(`lock '${name}': maxCount must be a positive integer, got ${maxCount}`);
    for (const [w, n] of Object.entries(maxCountForWorker ?? {})) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`lock '${name}': maxCountForWorker['${w}'] must be a positive integer, got ${n}`);
    }
  }

  access(mode: LockMode, opts: { count?: number; weight?: number } = {}): LockAccess {
    if (mode !== 'counting' && mode !== 'exclusive') throw new TypeError(`lock '${this.name}': access mode must be 'counting' or 'exclusive', got '${mode}'`);
    const count = opts.count ?? opts.weight ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`lock '${this.name}': access count must be a positive integer, got ${count}`);
    return { lock: this, mode, count };
  }

  capacityFor(workerName: string | null): number {
    if (this.kind === 'worker' && workerName && this.maxCountForWorker?.[workerName] !== undefined) return this.maxCountForWorker[workerName];
    return this.maxCount;
  }
}

/** Factories for configs: `locks.master('db', { maxCount: 2 }).access('counting')`. */
export const locks = {
  master(name: string, opts: { maxCount?: number } = {}): LockDescriptor {
    return new Descriptor('master', name, opts.maxCount ?? 1);
  },
  worker(name: string, opts: { maxCount?: number; maxCountForWorker?: Record<string, number> } = {}): LockDescriptor {
    return new Descriptor('worker', name, opts.maxCount ?? 1, opts.maxCountForWorker);
  },
} as const;

interface RealLock {
  id: string;
  kind: LockKind;
  name: string;
  workerName: string | null;
  maxCount: number;
  used: number;
  exclusive: boolean;
  holders: Map<number, LockOwnerInfo>;
}

interface Want { lock: RealLock; mode: LockMode; count: number }

interface Waiter {
  ticket: number;
  owner: string;
  wants: Want[];
  resolve(h: LockHandle): void;
  reject(e: Error): void;
  cleanup?: () => void;
}

export interface LockHandle {
  /** Releases every lock of this acquisition (idempotent). */
  release(): void;
}

export class LockCancelledError extends Error {
  constructor(reason: string) { super(reason); this.name = 'LockCancelledError'; }
}

export class LockRegistry {
  private readonly real = new Map<string, RealLock>();
  private readonly queue: Waiter[] = [];
  private nextTicket = 1;
  /** Called whenever holders or waiters change (the distributor re-checks pending builds). */
  onChange?: () => void;

  private resolveWants(accesses: readonly LockAccess[], workerName: string | null): Want[] {
    const byId = new Map<string, Want>();
    for (const a of accesses) {
      const d = a.lock;
      const wname = d.kind === 'worker' ? workerName : null;
      if (d.kind === 'worker' && !wname) throw new Error(`worker lock '${d.name}' used where no worker is known`);
      const id = d.kind === 'master' ? `master:${d.name}` : `worker:${d.name}@${wname}`;
      const capacity = d instanceof Descriptor ? d.capacityFor(wname) : d.kind === 'worker' && wname && d.maxCountForWorker?.[wname] !== undefined ? d.maxCountForWorker[wname] : d.maxCount;
      let lock = this.real.get(id);
      if (!lock) {
        lock = { id, kind: d.kind, name: d.name, workerName: wname, maxCount: capacity, used: 0, exclusive: false, holders: new Map() };
        this.real.set(id, lock);
      } else {
        // A reconfig may change maxCount; the new capacity applies to new acquisitions.
        lock.maxCount = capacity;
      }
      if (a.mode === 'counting' && a.count > lock.maxCount) {
        throw new RangeError(`lock '${d.name}': a counting access of ${a.count} can never fit in maxCount ${lock.maxCount}`);
      }
      // The same lock named twice: the stronger access wins (exclusive, or the larger count).
      const prev = byId.get(id);
      if (!prev) byId.set(id, { lock, mode: a.mode, count: a.count });
      else if (a.mode === 'exclusive') prev.mode = 'exclusive';
      else prev.count = Math.max(prev.count, a.count);
    }
    // A fixed order is not needed for safety (acquisition is atomic) but keeps descriptions stable.
    return [...byId.values()].sort((x, y) => (x.lock.id < y.lock.id ? -1 : 1));
  }

  private fits(w: Want): boolean {
    if (w.lock.exclusive) return false;
    if (w.mode === 'exclusive') return w.lock.used === 0;
    return w.lock.used + w.count <= w.lock.maxCount;
  }

  /** True when these accesses could be granted right now (and no earlier waiter wants the same locks). */
  isAvailable(accesses: readonly LockAccess[], workerName: string | null): boolean {
    return this.blockingLock(accesses, workerName) === null;
  }

  /** The first lock that would make an acquisition wait, with its holders, or null if none. */
  blockingLock(accesses: readonly LockAccess[], workerName: string | null): LockState | null {
    if (accesses.length === 0) return null;
    const wants = this.resolveWants(accesses, workerName);
    const queued = new Set<RealLock>();
    for (const w of this.queue) for (const x of w.wants) queued.add(x.lock);
    for (const w of wants) if (!this.fits(w) || queued.has(w.lock)) return this.describeLock(w.lock);
    return null;
  }

  /**
   * Takes all `accesses` at once if they are free and nobody is queued for them; otherwise takes
   * nothing and returns null. Synchronous, so a dispatcher can hold locks before any await.
   */
  tryAcquire(owner: string, accesses: readonly LockAccess[], workerName: string | null): LockHandle | null {
    const wants = this.resolveWants(accesses, workerName);
    if (wants.length === 0) return { release() {} };
    if (this.blockingLock(accesses, workerName)) return null;
    const waiter: Waiter = { ticket: this.nextTicket++, owner, wants, resolve() {}, reject() {} };
    this.take(waiter);
    this.onChange?.();
    return this.handleFor(waiter);
  }

  private take(w: Waiter): void {
    for (const x of w.wants) {
      if (x.mode === 'exclusive') { x.lock.exclusive = true; x.lock.used = x.lock.maxCount; }
      else x.lock.used += x.count;
      x.lock.holders.set(w.ticket, { owner: w.owner, mode: x.mode, count: x.mode === 'exclusive' ? x.lock.maxCount : x.count });
    }
  }

  /**
   * Acquires all `accesses` together. Resolves with a handle once all are held; rejects with
   * LockCancelledError when `signal` aborts while waiting (a stopped build).
   */
  acquire(owner: string, accesses: readonly LockAccess[], workerName: string | null, signal?: AbortSignal): Promise<LockHandle> {
    const wants = this.resolveWants(accesses, workerName);
    if (wants.length === 0) return Promise.resolve({ release() {} });
    if (signal?.aborted) return Promise.reject(new LockCancelledError(String(signal.reason ?? 'cancelled')));
    return new Promise<LockHandle>((resolve, reject) => {
      const waiter: Waiter = { ticket: this.nextTicket++, owner, wants, resolve, reject };
      if (signal) {
        const onAbort = () => {
          const i = this.queue.indexOf(waiter);
          if (i >= 0) {
            this.queue.splice(i, 1);
            reject(new LockCancelledError(String(signal.reason ?? 'cancelled')));
            // Removing a waiter may unblock the ones behind it.
            this.grant();
          }
        };
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(waiter);
      this.grant();
    });
  }

  /** Serves the queue in order; a waiter that cannot proceed reserves its locks against later ones. */
  private grant(): void {
    const reserved = new Set<RealLock>();
    let changed = false;
    for (let i = 0; i < this.queue.length; i++) {
      const w = this.queue[i];
      const ok = w.wants.every((x) => !reserved.has(x.lock) && this.fits(x));
      if (!ok) {
        for (const x of w.wants) reserved.add(x.lock);
        continue;
      }
      this.queue.splice(i--, 1);
      this.take(w);
      w.cleanup?.();
      changed = true;
      w.resolve(this.handleFor(w));
    }
    if (changed) this.onChange?.();
  }

  private handleFor(w: Waiter): LockHandle {
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const x of w.wants) {
          if (x.mode === 'exclusive') { x.lock.exclusive = false; x.lock.used = 0; }
          else x.lock.used -= x.count;
          x.lock.holders.delete(w.ticket);
        }
        this.grant();
        this.onChange?.();
      },
    };
  }

  private describeLock(lock: RealLock): LockState {
    const waiters: LockOwnerInfo[] = [];
    for (const w of this.queue) for (const x of w.wants) if (x.lock === lock) waiters.push({ owner: w.owner, mode: x.mode, count: x.count });
    return {
      id: lock.id, kind: lock.kind, name: lock.name, workerName: lock.workerName, maxCount: lock.maxCount,
      holders: [...lock.holders.values()], waiters,
    };
  }

  /** Every lock that has holders or waiters (for the data API and debugging). */
  describe(): LockState[] {
    const out: LockState[] = [];
    for (const lock of this.real.values()) {
      const s = this.describeLock(lock);
      if (s.holders.length || s.waiters.length) out.push(s);
    }
    return out;
  }

  get waitingCount(): number { return this.queue.length; }
}
