/** buildsets resource: /buildsets, /buildsets/:id; adding a buildset (with its requests) and completing it. */
import type { BuildRequestRow, BuildsetRow, SourceStampInput } from '../../db/rows.js';
import type { BuildsetResource, SourcedProperties } from '../types.js';
import { Results, worst, type Result } from '../../model/results.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, now, type DataContext, type Endpoint, type UpdateContext } from './context.js';
import { ReportEvents } from '../report-outbox.js';
import { publishBuildRequest, shapeBuildRequests } from './buildrequests.js';
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

// ---- writes ----

export interface AddBuildsetInput {
  scheduler: string;
  /** Existing sourcestamp ids or sourcestamps to find-or-create (one per codebase). */
  sourcestamps: Array<number | SourceStampInput>;
  reason: string;
  properties?: SourcedProperties;
  builderids: number[];
  waited_for?: boolean;
  external_idstring?: string | null;
  parent_buildid?: number | null;
  parent_relationship?: string | null;
  priority?: number;
  /** Epoch seconds; defaults to now. */
  submitted_at?: number;
}

export interface AddBuildsetResult { bsid: number; brids: Record<number, number> }

export interface BuildsetUpdates {
  /**
   * Resolves before the buildset is necessarily committed (SQLite commits a turn's writes after the
   * turn; a scheduler waiting for that would add one buildset per turn): acknowledge it to the
   * outside world (a forced build's reply) only after `durable()`.
   */
  addBuildset(b: AddBuildsetInput): Promise<AddBuildsetResult>;
  /** Resolves once every write made so far is stored for good (see Db.durable). Optional for fakes. */
  durable?(): Promise<void>;
  /**
   * Completes the buildset (results = worst of its requests) when all its requests are complete.
   * `justCompleted`: requests the caller has just completed (spares reading them when they are all).
   */
  maybeBuildsetComplete(bsid: number, justCompleted?: readonly BuildRequestRow[]): Promise<void>;
}

const buildsetPaths = (bs: { bsid: number }) => [['buildsets', bs.bsid]];

export function buildsetUpdates(u: UpdateContext): Required<BuildsetUpdates> {
  const updates: Required<BuildsetUpdates> = {
    async addBuildset(b) {
      const submitted_at = b.submitted_at ?? now();
      const ssids: number[] = [];
      for (const ss of b.sourcestamps) ssids.push(typeof ss === 'number' ? ss : await u.db.sourcestamps.findOrCreate(ss, submitted_at));
      const res = await u.db.buildsets.add({
        sourcestampids: ssids, reason: b.reason, properties: b.properties ?? {}, builderids: b.builderids,
        waited_for: b.waited_for ?? false, external_idstring: b.external_idstring ?? null, parent_buildid: b.parent_buildid ?? null,
        parent_relationship: b.parent_relationship ?? null, priority: b.priority ?? 0, submitted_at,
      });
      // Published from the inserted rows: no read-back of what was just written.
      for (const br of await shapeBuildRequests(u.ctx, res.requests)) publishBuildRequest(u, br, 'new');
      const [bs] = await shapeBuildsets(u.ctx, [res.buildset]);
      u.events.publish(buildsetPaths(bs!), 'new', { ...bs!, scheduler: b.scheduler });
      if (!b.builderids.length) await updates.maybeBuildsetComplete(res.bsid);
      return { bsid: res.bsid, brids: res.brids };
    },

    durable: () => u.db.durable(),

    /**
     * Completes the buildset once all its requests are. `justCompleted`: requests this call's caller
     * has just completed; when they are all of the buildset's (known from when it was added), nothing
     * needs to be read.
     */
    async maybeBuildsetComplete(bsid, justCompleted = []) {
      const known = u.db.buildsets.requestIds(bsid);
      const brs = known && known.every((id) => justCompleted.some((r) => r.id === id && r.complete))
        ? justCompleted.filter((r) => r.buildsetid === bsid)
        : await u.db.buildrequests.forBuildset(bsid);
      if (brs.some((r) => !r.complete)) return;
      let results: Result = Results.SUCCESS;
      for (const r of brs) if (r.results !== null) results = worst(results, r.results as Result);
      const completeAt = now();
      const reports = u.reportRows(ReportEvents.buildsetComplete, { scope: `buildset:${bsid}` });
      if (!(await u.db.buildsets.complete(bsid, results, completeAt, reports))) return;
      u.reported(reports);
      const row = u.db.buildsets.completedRow(bsid, results, completeAt);
      const bs = row ? (await shapeBuildsets(u.ctx, [row]))[0] : await loadBuildset(u.ctx, bsid);
      u.events.publish(buildsetPaths(bs!), 'complete', bs);
    },
  };
  return updates;
}
