/** masters: one row per master process name; `active` and `last_active` show liveness. */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';

export interface MasterRow { id: number; name: string; active: boolean; last_active: number }

const toRow = (r: any): MasterRow => ({ id: r.id, name: r.name, active: !!r.active, last_active: Number(r.last_active) });

export class MastersTable {
  constructor(private readonly k: Kysely<Schema>) {}

  async findOrCreate(name: string, now: number): Promise<number> {
    await this.k.insertInto('masters').values({ name, active: 0, last_active: now })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    const row = await this.k.selectFrom('masters').select('id').where('name', '=', name).executeTakeFirstOrThrow();
    return row.id;
  }

  async setActive(id: number, active: boolean, now: number): Promise<void> {
    await this.k.updateTable('masters').set({ active: active ? 1 : 0, last_active: now }).where('id', '=', id).execute();
  }

  async get(id: number): Promise<MasterRow | undefined> {
    const r = await this.k.selectFrom('masters').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRow(r);
  }

  async list(q: ListQuery = {}): Promise<MasterRow[]> {
    const rows = await applyOrderAndPage(applyFilters(this.k.selectFrom('masters').selectAll(), q.filters), q, 'id').execute();
    return rows.map(toRow);
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('masters'), q.filters); }
}
