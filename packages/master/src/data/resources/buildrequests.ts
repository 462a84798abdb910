/**
 * buildrequests resource: /buildrequests, /buildrequests/:id, /builders/:id/buildrequests,
 * /buildsets/:id/... Each pending request carries `pending_reason` from the engine (mastro extension).
 */
import type { BuildRequestRow } from '../updates-api.js';
import type { BuildRequestResource } from '../types.js';
import type { CollectionSource, ResultSpec } from '../resultspec.js';
import { BUILDREQUEST_COLUMNS } from '../../db/tables/buildrequests.js';
import { entity, resolveBuilderId, type DataContext, type Endpoint } from './context.js';
import { filterProperties } from './properties.js';

export async function shapeBuildRequests(ctx: DataContext, rows: BuildRequestRow[], properties?: string[]): Promise<BuildRequestResource[]> {
  const bsProps = new Map<number, any>();
  if (properties?.length) for (const bsid of new Set(rows.map((r) => r.buildsetid))) bsProps.set(bsid, (await ctx.db.buildsets.get(bsid))?.properties);
  return rows.map((r) => ({
    buildrequestid: r.id, buildsetid: r.buildsetid, builderid: r.builderid, priority: r.priority,
    claimed: r.claimed_by_masterid !== null, claimed_at: r.claimed_at, claimed_by_masterid: r.claimed_by_masterid,
    complete: r.complete, results: r.results, submitted_at: r.submitted_at, complete_at: r.complete_at, waited_for: r.waited_for,
    // Buildbot leaves properties null unless the `property` query parameter asks for some.
    properties: properties?.length ? filterProperties(bsProps.get(r.buildsetid), properties) : null,
    pending_reason: r.complete || r.claimed_by_masterid !== null ? null : ctx.pendingReason(r.id),
  }));
}

export async function loadBuildRequest(ctx: DataContext, brid: number, properties?: string[]): Promise<BuildRequestResource | undefined> {
  const r = await ctx.db.buildrequests.get(brid);
  return r && (await shapeBuildRequests(ctx, [r], properties))[0];
}

const source = (ctx: DataContext, spec: ResultSpec): CollectionSource<BuildRequestResource> => ({
  fields: {
    buildrequestid: 'int', buildsetid: 'int', builderid: 'int', priority: 'int', claimed: 'bool', claimed_at: 'int',
    claimed_by_masterid: 'int', complete: 'bool', results: 'int', submitted_at: 'int', complete_at: 'int', waited_for: 'bool',
    properties: 'other', pending_reason: 'other',
  },
  columns: { ...BUILDREQUEST_COLUMNS, claimed: { notNull: 'buildrequest_claims.masterid' } },
  fetch: async (q) => shapeBuildRequests(ctx, await ctx.db.buildrequests.list(q), spec.properties),
  count: (q) => ctx.db.buildrequests.count(q),
});

export const buildRequestEndpoints: Endpoint[] = [
  { pattern: 'buildrequests', type: 'buildrequests', get: async (ctx, _kw, spec) => ({ kind: 'collection', source: source(ctx, spec) }) },
  { pattern: 'buildrequests/n:buildrequestid', type: 'buildrequests', get: async (ctx, kw, spec) => entity(await loadBuildRequest(ctx, Number(kw.buildrequestid), spec.properties)) },
  ...['builders/n:builderid/buildrequests', 'builders/i:buildername/buildrequests'].map((pattern): Endpoint => ({
    pattern, type: 'buildrequests',
    get: async (ctx, kw, spec) => {
      const builderid = await resolveBuilderId(ctx, kw);
      if (builderid === undefined) return null;
      return { kind: 'collection', source: source(ctx, spec), scope: [{ column: 'buildrequests.builderid', op: 'eq', values: [builderid] }] };
    },
  })),
  {
    pattern: 'buildsets/n:bsid/buildrequests', type: 'buildrequests',
    get: async (ctx, kw, spec) => ((await ctx.db.buildsets.get(Number(kw.bsid))) ? { kind: 'collection', source: source(ctx, spec), scope: [{ column: 'buildrequests.buildsetid', op: 'eq', values: [Number(kw.bsid)] }] } : null),
  },
];
