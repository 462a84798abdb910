/** changes resource: /changes, /changes/:id, /builds/:id/changes, /sourcestamps/:id/changes. */
import type { ChangeRow } from '../updates-api.js';
import type { ChangeResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, resolveBuildId, type DataContext, type Endpoint } from './context.js';
import { shapeSourceStamp } from './sourcestamps.js';

/** Change rows as the API shows them (their stamps mostly come from the stamp cache). */
export async function shapeChanges(ctx: DataContext, rows: ChangeRow[]): Promise<ChangeResource[]> {
  const ss = await ctx.db.sourcestamps.getMany(rows.map((r) => r.sourcestampid));
  return rows.map((r) => ({
    changeid: r.changeid, parent_changeids: r.parent_changeids, author: r.author, committer: r.committer,
    files: r.files, comments: r.comments, revision: r.revision, when_timestamp: r.when_timestamp, branch: r.branch,
    category: r.category, revlink: r.revlink, properties: r.properties, repository: r.repository, project: r.project,
    codebase: r.codebase, sourcestamp: shapeSourceStamp(ss.get(r.sourcestampid)!),
  }));
}

export async function loadChange(ctx: DataContext, changeid: number): Promise<ChangeResource | undefined> {
  const r = await ctx.db.changes.get(changeid);
  return r && (await shapeChanges(ctx, [r]))[0];
}

const FIELDS = {
  changeid: 'int', parent_changeids: 'other', author: 'string', committer: 'string', files: 'other', comments: 'string',
  revision: 'string', when_timestamp: 'int', branch: 'string', category: 'string', revlink: 'string', properties: 'other',
  repository: 'string', project: 'string', codebase: 'string', sourcestamp: 'other',
} as const;

const source = (ctx: DataContext): CollectionSource<ChangeResource> => ({
  fields: FIELDS,
  columns: {
    changeid: 'changeid', author: 'author', committer: 'committer', comments: 'comments', revision: 'revision', when_timestamp: 'when_timestamp',
    branch: 'branch', category: 'category', revlink: 'revlink', repository: 'repository', project: 'project', codebase: 'codebase',
  },
  fetch: async (q) => shapeChanges(ctx, await ctx.db.changes.list(q)),
  count: (q) => ctx.db.changes.count(q),
});

export const changeEndpoints: Endpoint[] = [
  { pattern: 'changes', type: 'changes', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  { pattern: 'changes/n:changeid', type: 'changes', get: async (ctx, kw) => entity(await loadChange(ctx, Number(kw.changeid))) },
  {
    pattern: 'sourcestamps/n:ssid/changes', type: 'changes',
    // Like Buildbot, an unknown sourcestamp id has no changes (an empty list, not a 404).
    get: async (ctx, kw) => ({ kind: 'collection', source: source(ctx), scope: [{ column: 'sourcestampid', op: 'eq', values: [Number(kw.ssid)] }] }),
  },
  ...['builds/n:buildid/changes', 'builders/n:builderid/builds/n:build_number/changes'].map((pattern): Endpoint => ({
    pattern, type: 'changes',
    get: async (ctx, kw) => {
      const buildid = await resolveBuildId(ctx, kw);
      const build = buildid === undefined ? undefined : await ctx.db.builds.get(buildid);
      if (!build) return null;
      const br = await ctx.db.buildrequests.get(build.buildrequestid);
      const bs = br && (await ctx.db.buildsets.get(br.buildsetid));
      return { kind: 'collection', source: source(ctx), scope: [{ column: 'sourcestampid', op: 'eq', values: bs?.sourcestampids.length ? bs.sourcestampids : [-1] }] };
    },
  })),
];
