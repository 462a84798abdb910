/** sourcestamps resource: /sourcestamps, /sourcestamps/:id, /buildsets/:id/sourcestamps. */
import type { SourceStampRow } from '../updates-api.js';
import type { SourceStampResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint } from './context.js';

export const shapeSourceStamp = (r: SourceStampRow): SourceStampResource => ({
  ssid: r.ssid, revision: r.revision, branch: r.branch, repository: r.repository, project: r.project, codebase: r.codebase,
  patch: r.patch ? { patchid: r.patch.patchid, body: r.patch.body.toString('utf8'), level: r.patch.level, subdir: r.patch.subdir, author: r.patch.author, comment: r.patch.comment } : null,
  created_at: r.created_at,
});

const source = (ctx: DataContext): CollectionSource<SourceStampResource> => ({
  fields: { ssid: 'int', revision: 'string', branch: 'string', repository: 'string', project: 'string', codebase: 'string', patch: 'other', created_at: 'int' },
  columns: { ssid: 'id', revision: 'revision', branch: 'branch', repository: 'repository', project: 'project', codebase: 'codebase', created_at: 'created_at' },
  fetch: async (q) => (await ctx.db.sourcestamps.list(q)).map(shapeSourceStamp),
  count: (q) => ctx.db.sourcestamps.count(q),
});

export const sourceStampEndpoints: Endpoint[] = [
  { pattern: 'sourcestamps', type: 'sourcestamps', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  {
    pattern: 'sourcestamps/n:ssid', type: 'sourcestamps',
    get: async (ctx, kw) => { const r = await ctx.db.sourcestamps.get(Number(kw.ssid)); return entity(r && shapeSourceStamp(r)); },
  },
  {
    pattern: 'buildsets/n:bsid/sourcestamps', type: 'sourcestamps',
    get: async (ctx, kw) => {
      const bs = await ctx.db.buildsets.get(Number(kw.bsid));
      if (!bs) return null;
      return { kind: 'collection', source: source(ctx), scope: [{ column: 'id', op: 'eq', values: bs.sourcestampids.length ? bs.sourcestampids : [-1] }] };
    },
  },
];
