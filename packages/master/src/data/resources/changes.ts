/** changes resource: /changes, /changes/:id, /builds/:id/changes, /sourcestamps/:id/changes; adding a change. */
import type { ChangeRow } from '../../db/rows.js';
import type { ChangeResource, SourcedProperties } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, now, resolveBuildId, type DataContext, type Endpoint, type UpdateContext } from './context.js';
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

// ---- writes ----

export interface AddChangeInput {
  author: string; committer?: string | null; files?: string[]; comments?: string; revision?: string | null;
  /** Epoch seconds; defaults to now. */
  when_timestamp?: number; branch?: string | null; category?: string | null; revlink?: string | null;
  /** Plain values; stored with source 'Change' like Buildbot. Values given as [value, source] keep their source. */
  properties?: Record<string, unknown>;
  repository?: string; codebase?: string; project?: string;
  /** Source of the change ('git', 'hg', ...): used to find the parent change. */
  src?: string | null;
}

export interface ChangeUpdates {
  /**
   * Stores a change and publishes ['changes', id, 'new']. With `deferEvent` the event is published
   * after the event loop has done one round of I/O, so a caller that answers a request (a change
   * hook) replies before schedulers start building; changes deferred this way keep their order.
   */
  addChange(c: AddChangeInput, opts?: { deferEvent?: boolean }): Promise<number>;
}

export function changeUpdates(u: UpdateContext): ChangeUpdates {
  return {
    async addChange(c, opts = {}) {
      const codebase = c.codebase ?? '';
      const repository = c.repository ?? '';
      const project = c.project ?? '';
      const branch = c.branch ?? null;
      const revision = c.revision ?? null;
      const properties: SourcedProperties = {};
      for (const [k, v] of Object.entries(c.properties ?? {})) {
        properties[k] = Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' ? (v as [unknown, string]) : [v, 'Change'];
      }
      const ts = now();
      const sourcestampid = await u.db.sourcestamps.findOrCreate({ codebase, repository, branch, revision, project }, ts);
      const row = await u.db.changes.insert({
        author: c.author, committer: c.committer ?? null, files: c.files ?? [], comments: c.comments ?? '', revision,
        when_timestamp: c.when_timestamp ?? ts, branch, category: c.category ?? null, revlink: c.revlink ?? null,
        properties, repository, codebase, project, sourcestampid,
      });
      const changeid = row.changeid;
      // The caller acknowledges the change (a hook's reply): it must be stored for good first.
      await u.db.durable();
      // Shaped from what was inserted: reading the change back would cost four queries per change.
      const [change] = await shapeChanges(u.ctx, [row]);
      const publish = () => u.events.publish([['changes', change!.changeid]], 'new', change);
      if (opts.deferEvent) {
        // Two hops: the first setImmediate runs in this loop turn's check phase, the one it queues in the
        // next turn, after that turn's poll for I/O: the caller's reply is written (and, in-process, read) first.
        setImmediate(() => setImmediate(publish));
      } else {
        publish();
      }
      return changeid;
    },
  };
}
