/**
 * locks resource (read-only): the master and worker locks that are held or waited for right now, with
 * their holders and waiters (`owner` names the build or step), so "why is my build waiting" has an
 * answer beyond the pending reason. /locks and /locks/s:lockid (e.g. `master:db`, `worker:compile@w0`).
 * Lock state lives in the engine's memory: the data layer declares its shape here, the engine
 * (process/locks.ts, process/lock-view.ts) produces it and the composition root wires the two
 * (DataConnector.setLockStateProvider), so data/ needs nothing from process/.
 */
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint } from './context.js';

export type LockMode = 'counting' | 'exclusive';
export type LockKind = 'master' | 'worker';

/** Who holds or waits for a lock, as the data layer and pending reasons show it. */
export interface LockOwnerInfo { owner: string; mode: LockMode; count: number }

/** One lock with its holders and waiters, as the engine reports it. */
export interface LockState {
  /** 'master:db' or 'worker:compile@w0'. */
  id: string;
  kind: LockKind;
  name: string;
  workerName: string | null;
  maxCount: number;
  holders: LockOwnerInfo[];
  waiters: LockOwnerInfo[];
}

export interface LockStateRow {
  lockid: string;
  kind: string;
  name: string;
  worker_name: string | null;
  max_count: number;
  holders: { owner: string; mode: string; count: number }[];
  waiters: { owner: string; mode: string; count: number }[];
}

function rows(ctx: DataContext): LockStateRow[] {
  return ctx.lockStates().map((l) => ({
    lockid: l.id, kind: l.kind, name: l.name, worker_name: l.workerName, max_count: l.maxCount,
    holders: l.holders.map((h) => ({ ...h })), waiters: l.waiters.map((w) => ({ ...w })),
  }));
}

const source = (ctx: DataContext): CollectionSource<LockStateRow> => ({
  fields: { lockid: 'string', kind: 'string', name: 'string', worker_name: 'string', max_count: 'int', holders: 'other', waiters: 'other' },
  columns: {},
  fetch: async (q) => {
    const all = rows(ctx);
    const start = q.offset ?? 0;
    return all.slice(start, q.limit === undefined ? undefined : start + q.limit);
  },
  count: async () => rows(ctx).length,
});

export const lockEndpoints: Endpoint[] = [
  { pattern: 'locks', type: 'locks', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  { pattern: 'locks/s:lockid', type: 'locks', get: async (ctx, kw) => entity(rows(ctx).find((l) => l.lockid === kw.lockid)) },
];
