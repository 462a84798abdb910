/** builds (+ build_properties). Build numbers are per builder, allocated inside the insert transaction. */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { BuildRow, SourcedProperties } from '../rows.js';
import { prepared } from '../prepared.js';
import { isUniqueViolation } from '../sql-errors.js';
import { first, run, transaction } from '../transaction.js';
import { insertOutboxRows, type OutboxRowInput } from './reporter-outbox.js';
import type { RowCounts } from '../row-counts.js';

type NewBuild = { builderid: number; buildrequestid: number; workerid: number; masterid: number; state_string: string; started_at: number; number: number };
const insertBuild = prepared((p: NewBuild, db) => db.insertInto('builds').values({
  builderid: p.builderid, buildrequestid: p.buildrequestid, workerid: p.workerid, masterid: p.masterid,
  state_string: p.state_string, started_at: p.started_at, number: p.number, complete_at: null, results: null,
}).returning('id'));
const setStateString = prepared((p: { id: number; state_string: string }, db) => db.updateTable('builds').set({ state_string: p.state_string }).where('id', '=', p.id));
const finishBuild = prepared((p: { id: number; results: number; complete_at: number }, db) =>
  db.updateTable('builds').set({ results: p.results, complete_at: p.complete_at }).where('id', '=', p.id));
const finishBuildWithState = prepared((p: { id: number; results: number; complete_at: number; state_string: string }, db) =>
  db.updateTable('builds').set({ results: p.results, complete_at: p.complete_at, state_string: p.state_string }).where('id', '=', p.id));
/** One prepared upsert per number of properties (builds of one builder set the same number). */
const setPropsQueries = new Map<number, ReturnType<typeof setPropsQuery>>();
const MAX_PREPARED_PROPERTY_COUNT = 64;
function setPropsQuery(n: number) {
  return prepared((p: Record<string, unknown>, db) => db.insertInto('build_properties')
    .values(Array.from({ length: n }, (_, i) => ({ buildid: p.buildid as number, name: p[`n${i}`] as string, value: p[`v${i}`] as string, source: p[`s${i}`] as string })))
    .onConflict((oc) => oc.columns(['buildid', 'name']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), source: eb.ref('excluded.source') }))));
}
const getBuild = prepared((p: { id: number }, db) => db.selectFrom('builds').selectAll().where('id', '=', p.id));
const maxNumber = prepared((p: { builderid: number }, db) => db.selectFrom('builds').select((eb) => eb.fn.max('number').as('m')).where('builderid', '=', p.builderid));
/**
 * The newest finished build of a builder numbered below `number` whose `branch` property is the
 * given JSON value (Buildbot's "previous build", restricted to the same branch; RETRY builds do
 * not count, as in Buildbot's getPreviousBuild). One query: the builder's builds are walked newest
 * first on the (builderid, number) key, and each one's branch is a primary-key probe of
 * build_properties; it stops at the first match.
 */
const previousOnBranch = prepared((p: { builderid: number; number: number; branch: string; retry: number }, db) => db.selectFrom('builds')
  .innerJoin('build_properties', (j) => j.onRef('build_properties.buildid', '=', 'builds.id').on('build_properties.name', '=', 'branch'))
  .selectAll('builds')
  .where('builds.builderid', '=', p.builderid).where('builds.number', '<', p.number)
  .where('builds.complete_at', 'is not', null).where('builds.results', '!=', p.retry)
  .where('build_properties.value', '=', p.branch)
  .orderBy('builds.number', 'desc').limit(1));

export const BUILD_COLUMNS: Record<string, string> = {
  buildid: 'id', number: 'number', builderid: 'builderid', buildrequestid: 'buildrequestid', workerid: 'workerid',
  masterid: 'masterid', started_at: 'started_at', complete_at: 'complete_at', results: 'results', state_string: 'state_string',
};

const toRow = (r: any): BuildRow => ({
  id: r.id, number: r.number, builderid: r.builderid, buildrequestid: r.buildrequestid, workerid: r.workerid,
  masterid: r.masterid, started_at: Number(r.started_at), complete_at: r.complete_at == null ? null : Number(r.complete_at),
  results: r.results, state_string: r.state_string,
});

export class BuildsTable {
  constructor(private readonly k: Kysely<Schema>, private readonly rowCounts: RowCounts) {}

  /** Per-builder queue so builds of one builder started by this process never race for a number. */
  private readonly numbering = new Map<number, Promise<unknown>>();

  /** `reports`: outbox rows about the new build, stored in the same transaction. */
  add(b: { builderid: number; buildrequestid: number; workerid: number; masterid: number; state_string: string; started_at: number }, reports: readonly OutboxRowInput[] = []): Promise<{ buildid: number; number: number }> {
    const prev = this.numbering.get(b.builderid) ?? Promise.resolve();
    const next = prev.then(() => this.insertNumbered(b, reports), () => this.insertNumbered(b, reports));
    const tail = next.catch(() => undefined);
    this.numbering.set(b.builderid, tail);
    void tail.then(() => { if (this.numbering.get(b.builderid) === tail) this.numbering.delete(b.builderid); });
    return next;
  }

  /** The last number this process gave each builder: the next build tries last + 1 without reading. */
  private readonly lastNumber = new Map<number, number>();

  private async insertNumbered(b: { builderid: number; buildrequestid: number; workerid: number; masterid: number; state_string: string; started_at: number }, reports: readonly OutboxRowInput[]): Promise<{ buildid: number; number: number }> {
    const last = this.lastNumber.get(b.builderid);
    if (last !== undefined) {
      try {
        const { id } = reports.length
          ? await transaction(this.k, function* () {
            const row = (yield* first(insertBuild, { ...b, number: last + 1 }))!;
            yield* insertOutboxRows(reports, row.id, Date.now());
            return row;
          })
          : (await insertBuild.first(this.k, { ...b, number: last + 1 }))!;
        this.lastNumber.set(b.builderid, last + 1);
        return { buildid: id, number: last + 1 };
      } catch (err) {
        // Another master numbered a build of this builder meanwhile: read the maximum below.
        if (!isUniqueViolation(err)) throw err;
      }
    }
    const res = await this.insertNumberedAfterMax(b, reports);
    this.lastNumber.set(b.builderid, res.number);
    return res;
  }

  private async insertNumberedAfterMax(b: { builderid: number; buildrequestid: number; workerid: number; masterid: number; state_string: string; started_at: number }, reports: readonly OutboxRowInput[]): Promise<{ buildid: number; number: number }> {
    // Another master may take the same number concurrently (PostgreSQL): the unique key rejects one, which retries.
    for (let attempt = 0; ; attempt++) {
      try {
        return await transaction(this.k, function* () {
          const max = yield* first(maxNumber, { builderid: b.builderid });
          const number = Number(max?.m ?? 0) + 1;
          const { id } = (yield* first(insertBuild, { ...b, number }))!;
          yield* insertOutboxRows(reports, id, Date.now());
          return { buildid: id, number };
        });
      } catch (err) {
        if (attempt < 50 && isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  async setStateString(id: number, state_string: string): Promise<void> {
    await setStateString.execute(this.k, { id, state_string });
  }

  /** `reports`: outbox rows about the finished build, stored in the same transaction as its result. */
  async finish(id: number, results: number, completeAt: number, stateString?: string, reports: readonly OutboxRowInput[] = []): Promise<void> {
    if (!reports.length) {
      if (stateString === undefined) await finishBuild.execute(this.k, { id, results, complete_at: completeAt });
      else await finishBuildWithState.execute(this.k, { id, results, complete_at: completeAt, state_string: stateString });
      return;
    }
    await transaction(this.k, function* () {
      if (stateString === undefined) yield* run(finishBuild, { id, results, complete_at: completeAt });
      else yield* run(finishBuildWithState, { id, results, complete_at: completeAt, state_string: stateString });
      yield* insertOutboxRows(reports, id, Date.now());
    });
  }

  /** See `previousOnBranch` above: `branch` is the build's `branch` property value (null included). */
  async previousOnBranch(builderid: number, number: number, branch: unknown, retry: number): Promise<BuildRow | undefined> {
    const r = await previousOnBranch.first(this.k, { builderid, number, branch: JSON.stringify(branch ?? null), retry });
    return r && toRow(r);
  }

  async get(id: number): Promise<BuildRow | undefined> {
    const r = await getBuild.first(this.k, { id });
    return r && toRow(r);
  }

  async getByNumber(builderid: number, number: number): Promise<BuildRow | undefined> {
    const r = await this.k.selectFrom('builds').selectAll().where('builderid', '=', builderid).where('number', '=', number).executeTakeFirst();
    return r && toRow(r);
  }

  async unfinished(masterid: number): Promise<BuildRow[]> {
    return (await this.k.selectFrom('builds').selectAll().where('masterid', '=', masterid).where('complete_at', 'is', null).orderBy('id').execute()).map(toRow);
  }

  async list(q: ListQuery = {}): Promise<BuildRow[]> {
    return (await applyOrderAndPage(applyFilters(this.k.selectFrom('builds').selectAll(), q.filters), q, 'id').execute()).map(toRow);
  }

  count(q: ListQuery = {}): Promise<number> {
    return q.filters?.length ? countFiltered(this.k.selectFrom('builds'), q.filters) : this.rowCounts.count('builds');
  }

  async setProperties(buildid: number, props: SourcedProperties): Promise<void> {
    const rows = Object.entries(props).map(([name, [value, source]]) => ({ buildid, name, value: JSON.stringify(value ?? null), source }));
    if (!rows.length) return;
    if (rows.length <= MAX_PREPARED_PROPERTY_COUNT) {
      let q = setPropsQueries.get(rows.length);
      if (!q) setPropsQueries.set(rows.length, (q = setPropsQuery(rows.length)));
      const params: Record<string, unknown> = { buildid };
      rows.forEach((r, i) => { params[`n${i}`] = r.name; params[`v${i}`] = r.value; params[`s${i}`] = r.source; });
      await q.execute(this.k, params);
      return;
    }
    await this.k.insertInto('build_properties').values(rows)
      .onConflict((oc) => oc.columns(['buildid', 'name']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value'), source: eb.ref('excluded.source') }))).execute();
  }

  async getProperties(buildids: number[]): Promise<Map<number, SourcedProperties>> {
    const out = new Map<number, SourcedProperties>();
    if (!buildids.length) return out;
    for (const p of await this.k.selectFrom('build_properties').selectAll().where('buildid', 'in', buildids).execute()) {
      let m = out.get(p.buildid); if (!m) out.set(p.buildid, (m = {})); m[p.name] = [JSON.parse(p.value), p.source];
    }
    return out;
  }

  /** Revision of the newest successful build of the builder for the codebase. */
  async lastBuiltRevision(builderid: number, codebase: string): Promise<string | null> {
    const r = await this.k.selectFrom('builds')
      .innerJoin('buildrequests', 'buildrequests.id', 'builds.buildrequestid')
      .innerJoin('buildset_sourcestamps', 'buildset_sourcestamps.buildsetid', 'buildrequests.buildsetid')
      .innerJoin('sourcestamps', 'sourcestamps.id', 'buildset_sourcestamps.sourcestampid')
      .select('sourcestamps.revision as revision')
      .where('builds.builderid', '=', builderid).where('builds.results', '=', 0)
      .where('sourcestamps.codebase', '=', codebase).where('sourcestamps.revision', 'is not', null)
      .orderBy('builds.id', 'desc').limit(1).executeTakeFirst();
    return r?.revision ?? null;
  }
}
