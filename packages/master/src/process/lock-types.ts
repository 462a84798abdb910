/**
 * Lock descriptions as configs write them. A lock is identified by its kind and name; the real
 * per-master (or per-worker) lock state lives in `locks.ts` (LockRegistry) and is looked up by id,
 * so a reconfig that re-creates the descriptor keeps the same lock.
 */
import type { LockKind, LockMode } from '../data/resources/locks.js';

// The data layer shows lock state, so the words for it are declared there, below the engine.
export type { LockKind, LockMode } from '../data/resources/locks.js';

export interface LockDescriptor {
  readonly kind: LockKind;
  readonly name: string;
  /** Counting capacity (per worker for worker locks, unless maxCountForWorker names the worker). */
  readonly maxCount: number;
  /** Worker locks only: capacity for a given worker name, overriding maxCount. */
  readonly maxCountForWorker?: Readonly<Record<string, number>>;
  /** `lock.access('counting', { count: 2 })`: how a build or step wants to hold this lock. */
  access(mode: LockMode, opts?: { count?: number; weight?: number }): LockAccess;
}

export interface LockAccess {
  readonly lock: LockDescriptor;
  readonly mode: LockMode;
  /** Weight of a counting access (default 1). Exclusive access takes the whole lock. */
  readonly count: number;
}

export function isLockAccess(x: unknown): x is LockAccess {
  return typeof x === 'object' && x !== null && 'lock' in x && 'mode' in x && 'count' in x;
}
