/** builders resource: /builders, /builders/:id, /builders/:name, /masters/:id/builders; builder ids, info and lists. */
import type { BuilderRow } from '../../db/tables/builders.js';
import type { BuilderResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint, type UpdateContext } from './context.js';

export const shapeBuilder = (r: BuilderRow): BuilderResource => ({ builderid: r.id, name: r.name, masterids: r.masterids, description: r.description, tags: r.tags });

export const builderSource = (ctx: DataContext, masterid?: number): CollectionSource<BuilderResource> => ({
  fields: { builderid: 'int', name: 'string', masterids: 'other', description: 'string', tags: 'other' },
  columns: { builderid: 'id', name: 'name', description: 'description' },
  fetch: async (q) => (await ctx.db.builders.list(q, masterid)).map(shapeBuilder),
  count: async (q) => (masterid === undefined ? ctx.db.builders.count(q) : (await ctx.db.builders.list({ filters: q.filters }, masterid)).length),
});

export async function loadBuilder(ctx: DataContext, builderid: number): Promise<BuilderResource | undefined> {
  const r = (await ctx.db.builders.list({ filters: [{ column: 'id', op: 'eq', values: [builderid] }] }))[0];
  return r && shapeBuilder(r);
}

export const builderEndpoints: Endpoint[] = [
  { pattern: 'builders', type: 'builders', get: async (ctx) => ({ kind: 'collection', source: builderSource(ctx) }) },
  { pattern: 'builders/n:builderid', type: 'builders', get: async (ctx, kw) => entity(await loadBuilder(ctx, Number(kw.builderid))) },
  {
    pattern: 'builders/i:buildername', type: 'builders',
    get: async (ctx, kw) => {
      const id = await ctx.db.builders.findId(String(kw.buildername));
      return entity(id === undefined ? undefined : await loadBuilder(ctx, id));
    },
  },
  {
    pattern: 'masters/n:masterid/builders', type: 'builders',
    // Like Buildbot, an unknown master id has no builders (an empty list, not a 404).
    get: async (ctx, kw) => ({ kind: 'collection', source: builderSource(ctx, Number(kw.masterid)) }),
  },
];

// ---- writes ----

export interface BuilderUpdates {
  findBuilderId(name: string): Promise<number>;
  updateBuilderInfo(builderid: number, info: { description?: string | null; tags?: string[] }): Promise<void>;
  /** Records which builders this master runs (builders_masters); builders not listed are removed for it. */
  updateBuilderList(masterid: number, builderNames: string[]): Promise<void>;
}

export function builderUpdates(u: UpdateContext): BuilderUpdates {
  return {
    findBuilderId: (name) => u.db.builders.findOrCreate(name),

    async updateBuilderInfo(builderid, info) {
      await u.db.builders.updateInfo(builderid, info);
      const b = await loadBuilder(u.ctx, builderid);
      if (b) u.events.publish([['builders', b.builderid]], 'update', b);
    },

    async updateBuilderList(masterid, builderNames) {
      const ids = await Promise.all(builderNames.map((n) => u.db.builders.findOrCreate(n)));
      await u.db.builders.setMasterBuilders(masterid, ids);
    },
  };
}
