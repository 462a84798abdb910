/**
 * buildrequests (+ buildrequest_claims). A claim is a row keyed by the request id, so two masters (or
 * two calls) can never both claim a request: the loser's insert violates the key and its whole
 * claim transaction rolls back.
 */
import { sql, type Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { BuildRequestRow } from '../rows.js';
import { prepared } from '../prepared.js';
import { built, rows as rowsOf, run, transaction } from '../transaction.js';
import { isSerializationFailure, isUniqueViolation } from '../sql-errors.js';

const COLUMNS = [
  'buildrequests.id as id', 'buildrequests.buildsetid as buildsetid', 'buildrequests.builderid as builderid',
  'buildrequests.priority as priority', 'buildrequests.submitted_at as submitted_at', 'buildrequests.waited_for as waited_for',
  'buildrequests.complete as complete', 'buildrequests.results as results', 'buildrequests.complete_at as complete_at',
  'buildrequest_claims.masterid as claimed_by_masterid', 'buildrequest_claims.claimed_at as claimed_at',
] as const;

const toRow = (r: any): BuildRequestRow => ({
  id: r.id, buildsetid: r.buildsetid, builderid: r.builderid, priority: r.priority, submitted_at: Number(r.submitted_at),
  waited_for: !!r.waited_for, complete: !!r.complete, results: r.results, complete_at: r.complete_at == null ? null : Number(r.complete_at),
  claimed_by_masterid: r.claimed_by_masterid ?? null, claimed_at: r.claimed_at == null ? null : Number(r.claimed_at),
});

/** One request (what a build claims and completes, unless requests were merged): prepared queries. */
const selectOne = prepared((p: { id: number }, db) => db.selectFrom('buildrequests').leftJoin('buildrequest_claims', 'buildrequest_claims.brid', 'buildrequests.id')
  .select(COLUMNS).where('buildrequests.id', '=', p.id));
const insertClaim = prepared((p: { brid: number; masterid: number; claimed_at: number }, db) =>
  db.insertInto('buildrequest_claims').values({ brid: p.brid, masterid: p.masterid, claimed_at: p.claimed_at }));
const selectOneClaimedBy = prepared((p: { id: number; masterid: number }, db) => db.selectFrom('buildrequests')
  .innerJoin('buildrequest_claims', 'buildrequest_claims.brid', 'buildrequests.id').select(COLUMNS)
  .where('buildrequests.id', '=', p.id).where('buildrequest_claims.masterid', '=', p.masterid).where('buildrequests.complete', '=', 0));
const selectForBuildset = prepared((p: { bsid: number }, db) => db.selectFrom('buildrequests').leftJoin('buildrequest_claims', 'buildrequest_claims.brid', 'buildrequests.id')
  .select(COLUMNS).where('buildrequests.buildsetid', '=', p.bsid).orderBy('buildrequests.id'));
const completeOne = prepared((p: { id: number; results: number; complete_at: number }, db) =>
  db.updateTable('buildrequests').set({ complete: 1, results: p.results, complete_at: p.complete_at }).where('id', '=', p.id));

/** Column names the data layer may filter and order on (API name -> SQL column). */
export const BUILDREQUEST_COLUMNS: Record<string, string> = {
  buildrequestid: 'buildrequests.id', buildsetid: 'buildrequests.buildsetid', builderid: 'buildrequests.builderid',
  priority: 'buildrequests.priority', complete: 'buildrequests.complete', results: 'buildrequests.results',
  submitted_at: 'buildrequests.submitted_at', complete_at: 'buildrequests.complete_at', waited_for: 'buildrequests.waited_for',
  claimed_by_masterid: 'buildrequest_claims.masterid', claimed_at: 'buildrequest_claims.claimed_at',
};

export class BuildRequestsTable {
  constructor(private readonly k: Kysely<Schema>) {}

  private base() {
    return this.k.selectFrom('buildrequests').leftJoin('buildrequest_claims', 'buildrequest_claims.brid', 'buildrequests.id');
  }

  async pending(): Promise<BuildRequestRow[]> {
    const rows = await this.base().select(COLUMNS).where('buildrequests.complete', '=', 0)
      .where('buildrequest_claims.brid', 'is', null)
      .orderBy('buildrequests.priority', 'desc').orderBy('buildrequests.submitted_at').orderBy('buildrequests.id').execute();
    return rows.map(toRow);
  }

  /** Unclaimed, incomplete requests per builder (the metrics' pending gauge); builders with none are absent. */
  async pendingCounts(): Promise<Array<{ builderid: number; count: number }>> {
    const rows = await this.k.selectFrom('buildrequests').leftJoin('buildrequest_claims', 'buildrequest_claims.brid', 'buildrequests.id')
      .select(['buildrequests.builderid as builderid', (eb) => eb.fn.countAll<number>().as('count')])
      .where('buildrequests.complete', '=', 0).where('buildrequest_claims.brid', 'is', null)
      .groupBy('buildrequests.builderid').execute();
    return rows.map((r) => ({ builderid: Number(r.builderid), count: Number(r.count) }));
  }

  async get(id: number): Promise<BuildRequestRow | undefined> {
    const r = await selectOne.first(this.k, { id });
    return r && toRow(r);
  }

  async getMany(ids: number[]): Promise<BuildRequestRow[]> {
    if (!ids.length) return [];
    return (await this.base().select(COLUMNS).where('buildrequests.id', 'in', ids).orderBy('buildrequests.id').execute()).map(toRow);
  }

  async forBuildset(bsid: number): Promise<BuildRequestRow[]> {
    return (await selectForBuildset.rows(this.k, { bsid })).map(toRow);
  }

  async claimedBy(masterid: number): Promise<BuildRequestRow[]> {
    return (await this.base().select(COLUMNS).where('buildrequest_claims.masterid', '=', masterid)
      .where('buildrequests.complete', '=', 0).orderBy('buildrequests.id').execute()).map(toRow);
  }

  /** All or nothing: false when any request is already claimed or complete. */
  async claim(brids: number[], masterid: number, claimedAt: number): Promise<boolean> {
    return !brids.length || (await this.claimRows(brids, masterid, claimedAt)) !== null;
  }

  /**
   * Like `claim`, returning the claimed rows as they now are (null when the claim failed), so the
   * caller can publish them without reading them back.
   */
  async claimRows(brids: number[], masterid: number, claimedAt: number): Promise<BuildRequestRow[] | null> {
    if (!brids.length) return [];
    const sorted = [...new Set(brids)].sort((a, b) => a - b);
    try {
      return await transaction(this.k, function* () {
        const rows = (sorted.length === 1 ? yield* rowsOf(selectOne, { id: sorted[0]! })
          : (yield* built((db) => db.selectFrom('buildrequests').leftJoin('buildrequest_claims', 'buildrequest_claims.brid', 'buildrequests.id')
            .select(COLUMNS).where('buildrequests.id', 'in', sorted).orderBy('buildrequests.id'))).rows).map(toRow);
        // Unknown, complete or claimed already: a lost race (the claim key would refuse it anyway).
        if (rows.length !== sorted.length || rows.some((r) => r.complete || r.claimed_by_masterid !== null)) throw new ClaimConflict();
        // Sorted ids make two masters lock rows in the same order, so they conflict instead of deadlocking.
        if (sorted.length === 1) yield* run(insertClaim, { brid: sorted[0]!, masterid, claimed_at: claimedAt });
        else yield* built((db) => db.insertInto('buildrequest_claims').values(sorted.map((brid) => ({ brid, masterid, claimed_at: claimedAt }))));
        return rows.map((r) => ({ ...r, claimed_by_masterid: masterid, claimed_at: claimedAt }));
      });
    } catch (err) {
      // A claim key or a PostgreSQL abort in favour of a concurrent claim: a lost race too.
      if (err instanceof ClaimConflict || isUniqueViolation(err) || isSerializationFailure(err)) return null;
      throw err;
    }
  }

  /** Releases this master's claims on incomplete requests; returns the ids actually released. */
  async unclaim(brids: number[], masterid: number): Promise<number[]> {
    if (!brids.length) return [];
    return this.k.transaction().execute(async (trx) => {
      const ids = (await trx.selectFrom('buildrequest_claims').innerJoin('buildrequests', 'buildrequests.id', 'buildrequest_claims.brid')
        .select('buildrequest_claims.brid as brid').where('buildrequest_claims.brid', 'in', brids)
        .where('buildrequest_claims.masterid', '=', masterid).where('buildrequests.complete', '=', 0).execute()).map((r) => r.brid);
      if (ids.length) await trx.deleteFrom('buildrequest_claims').where('brid', 'in', ids).execute();
      return ids;
    });
  }

  /** Completes requests claimed by `masterid`; false (and nothing changed) if any is not. */
  async complete(brids: number[], results: number, completeAt: number, masterid: number): Promise<boolean> {
    return !brids.length || (await this.completeRows(brids, results, completeAt, masterid)) !== null;
  }

  /** Like `complete`, returning the completed rows as they now are (null when nothing was completed). */
  async completeRows(brids: number[], results: number, completeAt: number, masterid: number): Promise<BuildRequestRow[] | null> {
    if (!brids.length) return [];
    const ids = [...new Set(brids)];
    return transaction(this.k, function* () {
      const rows = (ids.length === 1 ? yield* rowsOf(selectOneClaimedBy, { id: ids[0]!, masterid })
        : (yield* built((db) => db.selectFrom('buildrequests').innerJoin('buildrequest_claims', 'buildrequest_claims.brid', 'buildrequests.id')
          .select(COLUMNS).where('buildrequests.id', 'in', ids)
          .where('buildrequest_claims.masterid', '=', masterid).where('buildrequests.complete', '=', 0).orderBy('buildrequests.id'))).rows).map(toRow);
      if (rows.length !== ids.length) return null;
      if (ids.length === 1) yield* run(completeOne, { id: ids[0]!, results, complete_at: completeAt });
      else yield* built((db) => db.updateTable('buildrequests').set({ complete: 1, results, complete_at: completeAt }).where('id', 'in', ids));
      return rows.map((r) => ({ ...r, complete: true, results, complete_at: completeAt }));
    });
  }

  async setPriority(brid: number, priority: number): Promise<void> {
    await this.k.updateTable('buildrequests').set({ priority }).where('id', '=', brid).execute();
  }

  async list(q: ListQuery = {}): Promise<BuildRequestRow[]> {
    return (await applyOrderAndPage(applyFilters(this.base().select(COLUMNS), q.filters), q, 'buildrequests.id').execute()).map(toRow);
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.base().select(sql`1`.as('x')), q.filters); }
}

class ClaimConflict extends Error {}
