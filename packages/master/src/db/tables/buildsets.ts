/**
 * buildsets (+ buildset_properties, buildset_sourcestamps). Adding a buildset also creates its build
 * requests (one per builder) in the same transaction, so a crash never leaves a buildset without them.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { BuildRequestRow, BuildsetRow, SourcedProperties } from '../rows.js';
import { Lru } from '../lru.js';
import { prepared } from '../prepared.js';
import { built, first, run, transaction } from '../transaction.js';
import { insertOutboxRows, type OutboxRowInput } from './reporter-outbox.js';

type NewBuildsetRow = {
  external_idstring: string | null; reason: string; submitted_at: number; parent_buildid: number | null; parent_relationship: string | null;
};
const insertBuildset = prepared((p: NewBuildsetRow, db) => db.insertInto('buildsets').values({
  external_idstring: p.external_idstring, reason: p.reason, submitted_at: p.submitted_at, complete: 0,
  complete_at: null, results: null, parent_buildid: p.parent_buildid, parent_relationship: p.parent_relationship,
}).returning('id'));
const insertProperty = prepared((p: { buildsetid: number; property_name: string; property_value: string }, db) =>
  db.insertInto('buildset_properties').values({ buildsetid: p.buildsetid, property_name: p.property_name, property_value: p.property_value }));
const insertStamp = prepared((p: { buildsetid: number; sourcestampid: number }, db) =>
  db.insertInto('buildset_sourcestamps').values({ buildsetid: p.buildsetid, sourcestampid: p.sourcestampid }));
type NewRequest = { buildsetid: number; builderid: number; priority: number; submitted_at: number; waited_for: number };
const insertRequest = prepared((p: NewRequest, db) => db.insertInto('buildrequests').values({
  buildsetid: p.buildsetid, builderid: p.builderid, priority: p.priority, complete: 0, results: null,
  submitted_at: p.submitted_at, complete_at: null, waited_for: p.waited_for,
}).returning(['id', 'builderid']));
const completeBuildset = prepared((p: { id: number; results: number; complete_at: number }, db) => db.updateTable('buildsets')
  .set({ complete: 1, results: p.results, complete_at: p.complete_at }).where('id', '=', p.id).where('complete', '=', 0));
const getBuildset = prepared((p: { id: number }, db) => db.selectFrom('buildsets').selectAll().where('id', '=', p.id));

/** The columns of a buildset row that never change once it is written. */
type FixedColumns = Pick<BuildsetRow, 'id' | 'external_idstring' | 'reason' | 'submitted_at' | 'parent_buildid' | 'parent_relationship'>;

/** What never changes about a buildset once it is committed: read once, then served from memory. */
interface BuildsetParts {
  properties: SourcedProperties;
  sourcestampids: number[];
  /** Set once the row was written or read by this process. */
  fixed?: FixedColumns;
  /** Its build requests, when this process added it (requests are only ever created with their buildset). */
  requestIds?: number[];
}

/** Buildsets whose properties and stamps are kept in memory (the engine reads each several times). */
const PARTS_CACHE_SIZE = 4096;

export interface NewBuildset {
  sourcestampids: number[]; reason: string; properties: SourcedProperties; builderids: number[];
  waited_for: boolean; external_idstring: string | null; parent_buildid: number | null;
  parent_relationship: string | null; priority: number; submitted_at: number;
}

export class BuildsetsTable {
  private readonly parts = new Lru<number, BuildsetParts>(PARTS_CACHE_SIZE);

  constructor(private readonly k: Kysely<Schema>) {}

  /**
   * Adds the buildset and its requests; also returns their rows as a read would give them, so the
   * caller can publish them without reading them back.
   */
  async add(b: NewBuildset): Promise<{ bsid: number; brids: Record<number, number>; buildset: BuildsetRow; requests: BuildRequestRow[] }> {
    const res = await transaction(this.k, function* () {
      const { id: bsid } = (yield* first(insertBuildset, b))!;
      const props = Object.entries(b.properties);
      // One row (the common case) through a prepared insert, several in one statement.
      if (props.length === 1) yield* run(insertProperty, { buildsetid: bsid, property_name: props[0]![0], property_value: JSON.stringify(props[0]![1]) });
      else if (props.length) yield* built((db) => db.insertInto('buildset_properties').values(props.map(([property_name, v]) => ({ buildsetid: bsid, property_name, property_value: JSON.stringify(v) }))));
      if (b.sourcestampids.length === 1) yield* run(insertStamp, { buildsetid: bsid, sourcestampid: b.sourcestampids[0]! });
      else if (b.sourcestampids.length) yield* built((db) => db.insertInto('buildset_sourcestamps').values(b.sourcestampids.map((sourcestampid) => ({ buildsetid: bsid, sourcestampid }))));
      const brids: Record<number, number> = {};
      if (b.builderids.length === 1) {
        const r = (yield* first(insertRequest, { buildsetid: bsid, builderid: b.builderids[0]!, priority: b.priority, submitted_at: b.submitted_at, waited_for: b.waited_for ? 1 : 0 }))!;
        brids[r.builderid] = r.id;
      } else if (b.builderids.length) {
        const { rows } = yield* built((db) => db.insertInto('buildrequests').values(b.builderids.map((builderid) => ({
          buildsetid: bsid, builderid, priority: b.priority, complete: 0, results: null,
          submitted_at: b.submitted_at, complete_at: null, waited_for: b.waited_for ? 1 : 0,
        }))).returning(['id', 'builderid']));
        for (const r of rows) brids[r.builderid] = r.id;
      }
      return { bsid, brids };
    });
    // Committed: its parts are known without reading them back.
    // Through JSON, as a read from the table would give them.
    const properties: SourcedProperties = JSON.parse(JSON.stringify(b.properties));
    const fixed: FixedColumns = {
      id: res.bsid, external_idstring: b.external_idstring, reason: b.reason, submitted_at: b.submitted_at,
      parent_buildid: b.parent_buildid, parent_relationship: b.parent_relationship,
    };
    this.parts.set(res.bsid, { properties, sourcestampids: [...b.sourcestampids], fixed, requestIds: Object.values(res.brids) });
    const buildset: BuildsetRow = {
      id: res.bsid, external_idstring: b.external_idstring, reason: b.reason, submitted_at: b.submitted_at, complete: false,
      complete_at: null, results: null, parent_buildid: b.parent_buildid, parent_relationship: b.parent_relationship,
      properties: { ...properties }, sourcestampids: [...b.sourcestampids],
    };
    const requests: BuildRequestRow[] = Object.entries(res.brids).map(([builderid, id]) => ({
      id, buildsetid: res.bsid, builderid: Number(builderid), priority: b.priority, submitted_at: b.submitted_at,
      waited_for: b.waited_for, complete: false, results: null, complete_at: null, claimed_by_masterid: null, claimed_at: null,
    }));
    requests.sort((x, y) => x.id - y.id);
    return { ...res, buildset, requests };
  }

  /**
   * Marks the buildset complete unless it already is; false if it was. `reports`: outbox rows about
   * the buildset, stored in the same transaction (only when this call completed it).
   */
  async complete(bsid: number, results: number, completeAt: number, reports: readonly OutboxRowInput[] = []): Promise<boolean> {
    if (!reports.length) {
      const r = await completeBuildset.execute(this.k, { id: bsid, results, complete_at: completeAt });
      return Number(r.numAffectedRows ?? 0) > 0;
    }
    return transaction(this.k, function* () {
      const r = yield* run(completeBuildset, { id: bsid, results, complete_at: completeAt });
      if (Number(r.numAffectedRows ?? 0) === 0) return false;
      yield* insertOutboxRows(reports, bsid, Date.now());
      return true;
    });
  }

  /** Properties and sourcestamp ids of the given buildsets: from memory, or two queries for the rest. */
  private async partsOf(ids: number[]): Promise<Map<number, BuildsetParts>> {
    const out = new Map<number, BuildsetParts>();
    const missing: number[] = [];
    for (const id of ids) {
      const p = this.parts.get(id);
      if (p) out.set(id, p); else missing.push(id);
    }
    if (!missing.length) return out;
    for (const id of missing) out.set(id, { properties: {}, sourcestampids: [] });
    for (const p of await this.k.selectFrom('buildset_properties').selectAll().where('buildsetid', 'in', missing).execute()) {
      out.get(p.buildsetid)!.properties[p.property_name] = JSON.parse(p.property_value);
    }
    for (const s of await this.k.selectFrom('buildset_sourcestamps').selectAll().where('buildsetid', 'in', missing).orderBy('id').execute()) {
      out.get(s.buildsetid)!.sourcestampids.push(s.sourcestampid);
    }
    return out;
  }

  private async hydrate(rows: any[]): Promise<BuildsetRow[]> {
    if (!rows.length) return [];
    const parts = await this.partsOf(rows.map((r) => r.id));
    return rows.map((r) => {
      const p = parts.get(r.id)!;
      // Only rows that exist are cached (a buildset with no rows in the child tables is one, too).
      p.fixed ??= {
        id: r.id, external_idstring: r.external_idstring, reason: r.reason, submitted_at: Number(r.submitted_at),
        parent_buildid: r.parent_buildid, parent_relationship: r.parent_relationship,
      };
      this.parts.set(r.id, p);
      return {
        id: r.id, external_idstring: r.external_idstring, reason: r.reason, submitted_at: Number(r.submitted_at),
        complete: !!r.complete, complete_at: r.complete_at == null ? null : Number(r.complete_at), results: r.results,
        parent_buildid: r.parent_buildid, parent_relationship: r.parent_relationship,
        // Copies: callers may edit what they get without touching the cache.
        properties: { ...p.properties }, sourcestampids: [...p.sourcestampids],
      };
    });
  }

  /** Ids of the buildset's build requests, when known in memory (it was added by this process). */
  requestIds(bsid: number): readonly number[] | undefined {
    return this.parts.get(bsid)?.requestIds;
  }

  /**
   * The row of a buildset this process has just marked complete (`complete` returned true), from
   * memory; undefined when it is not cached (read it then).
   */
  completedRow(bsid: number, results: number, completeAt: number): BuildsetRow | undefined {
    const p = this.parts.get(bsid);
    if (!p?.fixed) return undefined;
    return { ...p.fixed, complete: true, complete_at: completeAt, results, properties: { ...p.properties }, sourcestampids: [...p.sourcestampids] };
  }

  /** The buildset's properties (empty for an unknown buildset): from memory once known. */
  async properties(bsid: number): Promise<SourcedProperties> {
    const cached = this.parts.get(bsid);
    if (cached) return { ...cached.properties };
    return (await this.get(bsid))?.properties ?? {};
  }

  /** The sourcestamp ids of a buildset, in order (empty for an unknown buildset). */
  async sourceStampIds(bsid: number): Promise<number[]> {
    const cached = this.parts.get(bsid);
    if (cached) return [...cached.sourcestampids];
    return (await this.get(bsid))?.sourcestampids ?? [];
  }

  async get(bsid: number): Promise<BuildsetRow | undefined> {
    return (await this.hydrate(await getBuildset.rows(this.k, { id: bsid })))[0];
  }

  async list(q: ListQuery = {}): Promise<BuildsetRow[]> {
    return this.hydrate(await applyOrderAndPage(applyFilters(this.k.selectFrom('buildsets').selectAll(), q.filters), q, 'id').execute());
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('buildsets'), q.filters); }
}
