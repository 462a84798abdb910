/** workers resource: /workers, /workers/:id|:name, /builders/:id/workers, /masters/:id/workers. */
import type { WorkerRow } from '../../db/tables/workers.js';
import { WORKER_COLUMNS } from '../../db/tables/workers.js';
import type { WorkerResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint } from './context.js';

export const shapeWorker = (r: WorkerRow): WorkerResource => ({
  workerid: r.id, name: r.name, connected_to: r.connected_to, configured_on: r.configured_on, workerinfo: r.info, paused: r.paused, graceful: r.graceful,
});

export async function loadWorker(ctx: DataContext, workerid: number): Promise<WorkerResource | undefined> {
  const r = await ctx.db.workers.get(workerid);
  return r && shapeWorker(r);
}

const source = (ctx: DataContext, scope: { builderid?: number; masterid?: number } = {}): CollectionSource<WorkerResource> => ({
  fields: { workerid: 'int', name: 'string', connected_to: 'other', configured_on: 'other', workerinfo: 'other', paused: 'bool', graceful: 'bool' },
  columns: WORKER_COLUMNS,
  fetch: async (q) => (await ctx.db.workers.list(q, scope)).map(shapeWorker),
  count: async (q) => (await ctx.db.workers.list({ filters: q.filters }, scope)).length,
});

export const workerEndpoints: Endpoint[] = [
  { pattern: 'workers', type: 'workers', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  { pattern: 'workers/n:workerid', type: 'workers', get: async (ctx, kw) => entity(await loadWorker(ctx, Number(kw.workerid))) },
  {
    pattern: 'workers/i:name', type: 'workers',
    get: async (ctx, kw) => entity((await ctx.db.workers.list({ filters: [{ column: 'name', op: 'eq', values: [String(kw.name)] }] })).map(shapeWorker)[0]),
  },
  { pattern: 'builders/n:builderid/workers', type: 'workers', get: async (ctx, kw) => ({ kind: 'collection', source: source(ctx, { builderid: Number(kw.builderid) }) }) },
  { pattern: 'masters/n:masterid/workers', type: 'workers', get: async (ctx, kw) => ({ kind: 'collection', source: source(ctx, { masterid: Number(kw.masterid) }) }) },
];
