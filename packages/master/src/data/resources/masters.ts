/** masters resource: /masters, /masters/:id, /builders/:id/masters; a master's start and stop. */
import type { MasterRow } from '../../db/tables/masters.js';
import type { MasterResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, now, type DataContext, type Endpoint, type UpdateContext } from './context.js';

export const shapeMaster = (r: MasterRow): MasterResource => ({ masterid: r.id, name: r.name, active: r.active, last_active: r.last_active });

const source = (ctx: DataContext): CollectionSource<MasterResource> => ({
  fields: { masterid: 'int', name: 'string', active: 'bool', last_active: 'int' },
  columns: { masterid: 'id', name: 'name', active: 'active', last_active: 'last_active' },
  fetch: async (q) => (await ctx.db.masters.list(q)).map(shapeMaster),
  count: (q) => ctx.db.masters.count(q),
});

export const masterEndpoints: Endpoint[] = [
  { pattern: 'masters', type: 'masters', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  { pattern: 'masters/n:masterid', type: 'masters', get: async (ctx, kw) => { const m = await ctx.db.masters.get(Number(kw.masterid)); return entity(m && shapeMaster(m)); } },
  {
    pattern: 'builders/n:builderid/masters', type: 'masters',
    get: async (ctx, kw) => {
      const b = (await ctx.db.builders.list({ filters: [{ column: 'id', op: 'eq', values: [Number(kw.builderid)] }] }))[0];
      if (!b) return null;
      return { kind: 'collection', source: source(ctx), scope: [{ column: 'id', op: 'eq', values: b.masterids.length ? b.masterids : [-1] }] };
    },
  },
];

// ---- writes ----

export interface MasterUpdates {
  masterActive(name: string): Promise<number>;
  masterStopped(masterid: number): Promise<void>;
}

const masterPaths = (m: { masterid: number }) => [['masters', m.masterid]];

export function masterUpdates(u: UpdateContext): MasterUpdates {
  return {
    async masterActive(name) {
      const id = await u.db.masters.findOrCreate(name, now());
      await u.db.masters.setActive(id, true, now());
      u.masterid = id;
      const m = shapeMaster((await u.db.masters.get(id))!);
      u.events.publish(masterPaths(m), 'started', m);
      return id;
    },

    async masterStopped(masterid) {
      await u.ctx.logs.flushAll();
      await u.db.masters.setActive(masterid, false, now());
      await u.db.workers.clearMasterConnections(masterid);
      const row = await u.db.masters.get(masterid);
      if (row) { const m = shapeMaster(row); u.events.publish(masterPaths(m), 'stopped', m); }
    },
  };
}
