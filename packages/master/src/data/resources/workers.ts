/** workers resource: /workers, /workers/:id|:name, /builders/:id/workers, /masters/:id/workers; connections and state. */
import type { WorkerRow } from '../../db/tables/workers.js';
import { WORKER_COLUMNS } from '../../db/tables/workers.js';
import type { WorkerResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint, type UpdateContext } from './context.js';

export const shapeWorker = (r: WorkerRow): WorkerResource => ({
  workerid: r.id, name: r.name, connected_to: r.connected_to, configured_on: r.configured_on, workerinfo: r.info, paused: r.paused, graceful: r.graceful,
});

export async function loadWorker(ctx: DataContext, workerid: number): Promise<WorkerResource | undefined> {
  const r = await ctx.db.workers.get(workerid);
  return r && shapeWorker(r);
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
  fields: { workerid: 'int', name: 'string', connected_to: 'other', configured_on: 'other', workerinfo: 'other', paused: 'bool', graceful: 'bool' },
  columns: WORKER_COLUMNS,
  fetch: async (q) => (await ctx.db.workers.list(q, scope)).map((r) => scoped(shapeWorker(r), scope)),
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
  const row = (await ctx.db.workers.list({ filters: [filter] }, scope))[0];
  return row && scoped(shapeWorker(row), scope);
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
];

// ---- writes ----

export interface WorkerUpdates {
  findWorkerId(name: string): Promise<number>;
  workerConfigured(workerid: number, masterid: number, builderids: number[]): Promise<void>;
  workerConnected(args: { workerid: number; masterid: number; workerinfo: Record<string, unknown> }): Promise<void>;
  workerDisconnected(args: { workerid: number; masterid: number }): Promise<void>;
  setWorkerState(workerid: number, state: { paused?: boolean; graceful?: boolean }): Promise<void>;
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
      await u.db.workers.setConnected(a.workerid, a.masterid, a.workerinfo);
      await publish(a.workerid, 'connected');
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
