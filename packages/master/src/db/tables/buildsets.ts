/**
 * buildsets (+ buildset_properties, buildset_sourcestamps). Adding a buildset also creates its build
 * requests (one per builder) in the same transaction, so a crash never leaves a buildset without them.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { BuildsetRow } from '../../data/updates-api.js';
import type { SourcedProperties } from '../../data/types.js';

export interface NewBuildset {
  sourcestampids: number[]; reason: string; properties: SourcedProperties; builderids: number[];
  waited_for: boolean; external_idstring: string | null; parent_buildid: number | null;
  parent_relationship: string | null; priority: number; submitted_at: number;
}

export class BuildsetsTable {
  constructor(private readonly k: Kysely<Schema>) {}

  async add(b: NewBuildset): Promise<{ bsid: number; brids: Record<number, number> }> {
    return this.k.transaction().execute(async (trx) => {
      const { id: bsid } = await trx.insertInto('buildsets').values({
        external_idstring: b.external_idstring, reason: b.reason, submitted_at: b.submitted_at, complete: 0,
        complete_at: null, results: null, parent_buildid: b.parent_buildid, parent_relationship: b.parent_relationship,
      }).returning('id').executeTakeFirstOrThrow();
      const props = Object.entries(b.properties);
      if (props.length) await trx.insertInto('buildset_properties').values(props.map(([property_name, v]) => ({ buildsetid: bsid, property_name, property_value: JSON.stringify(v) }))).execute();
      if (b.sourcestampids.length) await trx.insertInto('buildset_sourcestamps').values(b.sourcestampids.map((sourcestampid) => ({ buildsetid: bsid, sourcestampid }))).execute();
      const brids: Record<number, number> = {};
      if (b.builderids.length) {
        const rows = await trx.insertInto('buildrequests').values(b.builderids.map((builderid) => ({
          buildsetid: bsid, builderid, priority: b.priority, complete: 0, results: null,
          submitted_at: b.submitted_at, complete_at: null, waited_for: b.waited_for ? 1 : 0,
        }))).returning(['id', 'builderid']).execute();
        for (const r of rows) brids[r.builderid] = r.id;
      }
      return { bsid, brids };
    });
  }

  /** Marks the buildset complete unless it already is; false if it was. */
  async complete(bsid: number, results: number, completeAt: number): Promise<boolean> {
    const r = await this.k.updateTable('buildsets').set({ complete: 1, results, complete_at: completeAt })
      .where('id', '=', bsid).where('complete', '=', 0).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  private async hydrate(rows: any[]): Promise<BuildsetRow[]> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const props = new Map<number, SourcedProperties>();
    const ss = new Map<number, number[]>();
    for (const p of await this.k.selectFrom('buildset_properties').selectAll().where('buildsetid', 'in', ids).execute()) {
      let m = props.get(p.buildsetid); if (!m) props.set(p.buildsetid, (m = {})); m[p.property_name] = JSON.parse(p.property_value);
    }
    for (const s of await this.k.selectFrom('buildset_sourcestamps').selectAll().where('buildsetid', 'in', ids).orderBy('id').execute()) {
      let l = ss.get(s.buildsetid); if (!l) ss.set(s.buildsetid, (l = [])); l.push(s.sourcestampid);
    }
    return rows.map((r) => ({
      id: r.id, external_idstring: r.external_idstring, reason: r.reason, submitted_at: Number(r.submitted_at),
      complete: !!r.complete, complete_at: r.complete_at == null ? null : Number(r.complete_at), results: r.results,
      parent_buildid: r.parent_buildid, parent_relationship: r.parent_relationship,
      properties: props.get(r.id) ?? {}, sourcestampids: ss.get(r.id) ?? [],
    }));
  }

  async get(bsid: number): Promise<BuildsetRow | undefined> {
    return (await this.hydrate(await this.k.selectFrom('buildsets').selectAll().where('id', '=', bsid).execute()))[0];
  }

  async list(q: ListQuery = {}): Promise<BuildsetRow[]> {
    return this.hydrate(await applyOrderAndPage(applyFilters(this.k.selectFrom('buildsets').selectAll(), q.filters), q, 'id').execute());
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('buildsets'), q.filters); }
}
