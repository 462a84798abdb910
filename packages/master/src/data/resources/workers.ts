/** workers resource: /workers, /workers/:id|:name, /builders/:id/workers, /masters/:id/workers; connections and state. */
import type { AbsentPoolWorker, WorkerPlatformColumns, WorkerRow } from '../../db/tables/workers.js';
import { ReportEvents } from '../report-outbox.js';
import { WORKER_COLUMNS } from '../../db/tables/workers.js';
import type { WorkerResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint, type UpdateContext } from './context.js';

export const shapeWorker = (r: WorkerRow, latent: Record<string, unknown> | null = null): WorkerResource => ({
  workerid: r.id, name: r.name, connected_to: r.connected_to, configured_on: r.configured_on, workerinfo: r.info, paused: r.paused, graceful: r.graceful,
  pool: r.pool, tags: r.tags, os: r.os, arch: r.arch, latent,
});

const shape = (ctx: DataContext, r: WorkerRow): WorkerResource => shapeWorker(r, ctx.latentState(r.name));

export async function loadWorker(ctx: DataContext, workerid: number): Promise<WorkerResource | undefined> {
  const r = await ctx.db.workers.get(workerid);
  return r && shape(ctx, r);
}

type Scope = { builderid?: number; masterid?: number };

/** Under a builder or master path Buildbot lists only that builder's or master's configured_on entries. */
function scoped(w: WorkerResource, scope: Scope): WorkerResource {
  if (scope.builderid === undefined && scope.masterid === undefined) return w;
  return {
    ...w,
    configured_on: w.configured_on.filter((c) =>
      (scope.builderid === undefined || c.builderid === scope.builderid) && (scope.masterid === undefined || c.masterid === scope.masterid)),
  };
}

const source = (ctx: DataContext, scope: Scope = {}): CollectionSource<WorkerResource> => ({
  // pool, os, arch filter in SQL (`?pool=linux`); tags, a list, in memory (`?tags__contains=os=linux`), as Buildbot filters lists.
  fields: { workerid: 'int', name: 'string', connected_to: 'other', configured_on: 'other', workerinfo: 'other', paused: 'bool', graceful: 'bool', pool: 'string', tags: 'other', os: 'string', arch: 'string', latent: 'other' },
  columns: WORKER_COLUMNS,
  fetch: async (q) => (await ctx.db.workers.list(q, scope)).map((r) => scoped(shape(ctx, r), scope)),
  count: async (q) => (await ctx.db.workers.list({ filters: q.filters }, scope)).length,
});

/** One worker by id or name, optionally only when configured on the builder/master of the path. */
async function findWorker(ctx: DataContext, kw: Record<string, string | number>): Promise<WorkerResource | undefined> {
  const scope: Scope = {
    ...(kw.builderid !== undefined ? { builderid: Number(kw.builderid) } : {}),
    ...(kw.masterid !== undefined ? { masterid: Number(kw.masterid) } : {}),
  };
  const filter = kw.workerid !== undefined
    ? { column: 'id', op: 'eq' as const, values: [Number(kw.workerid)] }
    : { column: 'name', op: 'eq' as const, values: [String(kw.name)] };
  // A pool worker dropped from the list by forgetAfter is still found by id or name (its builds name it).
  const row = (await ctx.db.workers.list({ filters: [filter] }, scope, { includeForgotten: true }))[0];
  return row && scoped(shape(ctx, row), scope);
}

const one = (pattern: string): Endpoint => ({ pattern, type: 'workers', get: async (ctx, kw) => entity(await findWorker(ctx, kw)) });
const many = (pattern: string): Endpoint => ({
  pattern, type: 'workers',
  get: async (ctx, kw) => ({
    kind: 'collection',
    source: source(ctx, {
      ...(kw.builderid !== undefined ? { builderid: Number(kw.builderid) } : {}),
      ...(kw.masterid !== undefined ? { masterid: Number(kw.masterid) } : {}),
    }),
  }),
});

// Buildbot 3.7's paths (data/workers.py), by id or by name under each prefix.
const PREFIXES = ['', 'builders/n:builderid/', 'masters/n:masterid/', 'masters/n:masterid/builders/n:builderid/'];

export const workerEndpoints: Endpoint[] = [
  ...PREFIXES.map((p) => many(`${p}workers`)),
  ...PREFIXES.flatMap((p) => [one(`${p}workers/n:workerid`), one(`${p}workers/i:name`)]),
  // Pool workers are POOL/NAME, no Buildbot identifier: one segment of any text (`/workers/linux%2Fhost-1` over REST), tried last.
  ...PREFIXES.map((p) => one(`${p}workers/s:name`)),
];

// ---- writes ----

export interface WorkerUpdates {
  findWorkerId(name: string): Promise<number>;
  workerConfigured(workerid: number, masterid: number, builderids: number[]): Promise<void>;
  /** `platform`: the pool, effective tags and os/arch the API shows and filters (mastro). */
  workerConnected(args: { workerid: number; masterid: number; workerinfo: Record<string, unknown>; platform?: WorkerPlatformColumns }): Promise<void>;
  /** Drops pool workers gone for their pool's forgetAfter from the workers list; returns the ids dropped (connected ones stay). */
  forgetWorkers(workerids: readonly number[]): Promise<number[]>;
  /** Pool workers connected nowhere and not forgotten, with when they were last seen (epoch s). */
  absentPoolWorkers(): Promise<AbsentPoolWorker[]>;
  workerDisconnected(args: { workerid: number; masterid: number }): Promise<void>;
  setWorkerState(workerid: number, state: { paused?: boolean; graceful?: boolean }): Promise<void>;
  /**
   * A configured worker has been gone for its missingTimeout (process/missing-workers.ts): its
   * report rows are stored (with what the report needs: the worker may leave the config before it
   * is delivered) and `['workers', id, 'missing']` is published, as in Buildbot.
   */
  workerMissing(args: { name: string; notify: readonly string[]; missingTimeout: number; lastConnection?: number | null }): Promise<void>;
  /** A latent worker started, stopped or failed to start (mastro): `['workers', id, 'latent']` carries its new `latent` state. */
  latentWorkerChanged(name: string): Promise<void>;
}

export function workerUpdates(u: UpdateContext): WorkerUpdates {
  const publish = async (workerid: number, event: string) => {
    const w = await loadWorker(u.ctx, workerid);
    if (w) u.events.publish([['workers', w.workerid]], event, w);
  };
  return {
    findWorkerId: (name) => u.db.workers.findOrCreate(name),
    workerConfigured: (workerid, masterid, builderids) => u.db.workers.setConfigured(workerid, masterid, builderids),

    async workerConnected(a) {
      await u.db.workers.setConnected(a.workerid, a.masterid, a.workerinfo, a.platform);
      await publish(a.workerid, 'connected');
    },

    async forgetWorkers(workerids) {
      const gone = await u.db.workers.forget(workerids);
      for (const workerid of gone) await publish(workerid, 'forgotten');
      return gone;
    },

    absentPoolWorkers: () => u.db.workers.absentPoolWorkers(),

    async latentWorkerChanged(name) {
      await publish(await u.db.workers.findOrCreate(name), 'latent');
    },

    async workerMissing(a) {
      const workerid = await u.db.workers.findOrCreate(a.name);
      const payload = { name: a.name, notify: [...a.notify], missingTimeout: a.missingTimeout, lastConnection: a.lastConnection ?? null };
      const reports = u.reportRows(ReportEvents.workerMissing, { scope: `worker:${a.name}`, payload });
      await u.db.reporterOutbox.insert(reports, workerid, Date.now());
      u.reported(reports);
      u.events.publish([['workers', workerid]], 'missing', { workerid, ...payload });
    },

    async workerDisconnected(a) {
      await u.db.workers.setDisconnected(a.workerid, a.masterid);
      await publish(a.workerid, 'disconnected');
    },

    async setWorkerState(workerid, state) {
      await u.db.workers.setState(workerid, state);
      await publish(workerid, 'state_updated');
    },
  };
}
