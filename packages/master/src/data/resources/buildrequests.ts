/**
 * buildrequests resource: /buildrequests, /buildrequests/:id, /builders/:id/buildrequests,
 * /buildsets/:id/... Each pending request carries `pending_reason` from the engine (mastro extension).
 * Writes: claiming, unclaiming, completing and cancelling requests, and their priority.
 */
import type { BuildRequestRow } from '../../db/rows.js';
import { Results } from '../../model/results.js';
import { DataError, UnknownEntityError } from '../errors.js';
import type { BuildRequestResource } from '../types.js';
import type { CollectionSource, ResultSpec } from '../resultspec.js';
import { BUILDREQUEST_COLUMNS } from '../../db/tables/buildrequests.js';
import { entity, now, resolveBuilderId, type DataContext, type Endpoint, type UpdateContext } from './context.js';
import type { BuildsetUpdates } from './buildsets.js';
import { filterProperties } from './properties.js';
import { ErrorCodes } from '../../errors/catalog.js';

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

// ---- events ----

/** A request's events go out under its buildset and builder as well as on its own. */
export function publishBuildRequest(u: UpdateContext, br: BuildRequestResource, event: string): void {
  u.events.publish([
    ['buildsets', br.buildsetid, 'builders', br.builderid, 'buildrequests', br.buildrequestid],
    ['buildrequests', br.buildrequestid],
    ['builders', br.builderid, 'buildrequests', br.buildrequestid],
  ], event, br);
}

// ---- writes ----

export interface BuildRequestUpdates {
  /** Atomic, all or nothing: false if any request is already claimed (or complete). */
  claimBuildRequests(brids: number[], claimedAt?: number): Promise<boolean>;
  unclaimBuildRequests(brids: number[]): Promise<void>;
  /** Marks claimed-by-this-master requests complete; false if any was not claimed by this master. */
  completeBuildRequests(brids: number[], results: number, completeAt?: number): Promise<boolean>;
  /** Completes an unclaimed request with CANCELLED (claims it first) and then its buildset if done. */
  cancelBuildRequest(brid: number, reason?: string): Promise<void>;
  setBuildRequestPriority(brid: number, priority: number): Promise<void>;
}

/** `buildsets`: a request completing may complete its buildset. */
export function buildRequestUpdates(u: UpdateContext, buildsets: Pick<BuildsetUpdates, 'maybeBuildsetComplete'>): BuildRequestUpdates {
  const publishRows = async (rows: BuildRequestRow[], event: string) => {
    for (const br of await shapeBuildRequests(u.ctx, rows)) publishBuildRequest(u, br, event);
  };
  return {
    async claimBuildRequests(brids, claimedAt) {
      if (!brids.length) return true;
      const rows = await u.db.buildrequests.claimRows(brids, u.requireMaster('claimBuildRequests'), claimedAt ?? now());
      if (!rows) return false;
      await publishRows(rows, 'claimed');
      return true;
    },

    async unclaimBuildRequests(brids) {
      const released = await u.db.buildrequests.unclaim(brids, u.requireMaster('unclaimBuildRequests'));
      if (released.length) await publishRows(await u.db.buildrequests.getMany(released), 'unclaimed');
    },

    async completeBuildRequests(brids, results, completeAt) {
      if (results === Results.RETRY) throw new DataError(ErrorCodes.BAD_RESULT, 500, 'a build request cannot complete with RETRY: unclaim it so it runs again');
      if (!brids.length) return true;
      const rows = await u.db.buildrequests.completeRows(brids, results, completeAt ?? now(), u.requireMaster('completeBuildRequests'));
      if (!rows) return false;
      await publishRows(rows, 'complete');
      for (const bsid of new Set(rows.map((r) => r.buildsetid))) await buildsets.maybeBuildsetComplete(bsid, rows);
      return true;
    },

    async cancelBuildRequest(brid, reason = 'cancelled') {
      const br = await u.db.buildrequests.get(brid);
      if (!br) throw new UnknownEntityError('buildrequest', brid);
      if (br.complete) return;
      const masterid = u.requireMaster('cancelBuildRequest');
      if (br.claimed_by_masterid === null && !(await u.db.buildrequests.claim([brid], masterid, now()))) {
        throw new DataError(ErrorCodes.ALREADY_CLAIMED, 409, `build request ${brid} was claimed by a build meanwhile: stop that build instead`);
      }
      if (!(await u.db.buildrequests.complete([brid], Results.CANCELLED, now(), (await u.db.buildrequests.get(brid))!.claimed_by_masterid!))) return;
      const [shaped] = await shapeBuildRequests(u.ctx, [(await u.db.buildrequests.get(brid))!]);
      publishBuildRequest(u, { ...shaped!, reason } as BuildRequestResource, 'canceled');
      publishBuildRequest(u, shaped!, 'complete');
      await buildsets.maybeBuildsetComplete(br.buildsetid);
    },

    async setBuildRequestPriority(brid, priority) {
      await u.db.buildrequests.setPriority(brid, priority);
      await publishRows(await u.db.buildrequests.getMany([brid]), 'update');
    },
  };
}
