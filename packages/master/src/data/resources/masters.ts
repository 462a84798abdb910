/** masters resource: /masters, /masters/:id, /builders/:id/masters. */
import type { MasterRow } from '../../db/tables/masters.js';
import type { MasterResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint } from './context.js';

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
