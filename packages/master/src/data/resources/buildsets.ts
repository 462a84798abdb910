/** buildsets resource: /buildsets, /buildsets/:id. */
import type { BuildsetRow } from '../updates-api.js';
import type { BuildsetResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint } from './context.js';
import { shapeSourceStamp } from './sourcestamps.js';

export async function shapeBuildsets(ctx: DataContext, rows: BuildsetRow[]): Promise<BuildsetResource[]> {
  const ss = await ctx.db.sourcestamps.getMany(rows.flatMap((r) => r.sourcestampids));
  return rows.map((r) => ({
    bsid: r.id, external_idstring: r.external_idstring, reason: r.reason, submitted_at: r.submitted_at, complete: r.complete,
    complete_at: r.complete_at, results: r.results, sourcestamps: r.sourcestampids.map((id) => shapeSourceStamp(ss.get(id)!)),
    parent_buildid: r.parent_buildid, parent_relationship: r.parent_relationship,
  }));
}

export async function loadBuildset(ctx: DataContext, bsid: number): Promise<BuildsetResource | undefined> {
  const r = await ctx.db.buildsets.get(bsid);
  return r && (await shapeBuildsets(ctx, [r]))[0];
}

const source = (ctx: DataContext): CollectionSource<BuildsetResource> => ({
  fields: {
    bsid: 'int', external_idstring: 'string', reason: 'string', submitted_at: 'int', complete: 'bool', complete_at: 'int',
    results: 'int', sourcestamps: 'other', parent_buildid: 'int', parent_relationship: 'string',
  },
  columns: {
    bsid: 'id', external_idstring: 'external_idstring', reason: 'reason', submitted_at: 'submitted_at', complete: 'complete',
    complete_at: 'complete_at', results: 'results', parent_buildid: 'parent_buildid', parent_relationship: 'parent_relationship',
  },
  fetch: async (q) => shapeBuildsets(ctx, await ctx.db.buildsets.list(q)),
  count: (q) => ctx.db.buildsets.count(q),
});

export const buildsetEndpoints: Endpoint[] = [
  { pattern: 'buildsets', type: 'buildsets', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  { pattern: 'buildsets/n:bsid', type: 'buildsets', get: async (ctx, kw) => entity(await loadBuildset(ctx, Number(kw.bsid))) },
];
