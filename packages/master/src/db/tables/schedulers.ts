/** schedulers (+ scheduler_masters, scheduler_changes): identities, owning master, classified changes. */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import { isUniqueViolation } from '../sql-errors.js';

export interface SchedulerRow { id: number; name: string; enabled: boolean; masterid: number | null }

export const SCHEDULER_COLUMNS: Record<string, string> = { schedulerid: 'schedulers.id', name: 'schedulers.name', enabled: 'schedulers.enabled' };

export class SchedulersTable {
  constructor(private readonly k: Kysely<Schema>) {}

  async findOrCreate(name: string): Promise<number> {
    await this.k.insertInto('schedulers').values({ name, enabled: 1 }).onConflict((oc) => oc.column('name').doNothing()).execute();
    return (await this.k.selectFrom('schedulers').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  }

  /** Claims (or with null releases) the scheduler; false when another active master owns it. */
  async trySetMaster(schedulerid: number, masterid: number | null): Promise<boolean> {
    if (masterid === null) {
      await this.k.deleteFrom('scheduler_masters').where('schedulerid', '=', schedulerid).execute();
      return true;
    }
    try {
      return await this.trySetMasterOnce(schedulerid, masterid);
    } catch (err) {
      // Another master inserted its claim between our read and our insert.
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  private trySetMasterOnce(schedulerid: number, masterid: number): Promise<boolean> {
    return this.k.transaction().execute(async (trx) => {
      const cur = await trx.selectFrom('scheduler_masters').leftJoin('masters', 'masters.id', 'scheduler_masters.masterid')
        .select(['scheduler_masters.masterid as masterid', 'masters.active as active']).where('schedulerid', '=', schedulerid).executeTakeFirst();
      if (cur && cur.masterid === masterid) return true;
      if (cur && cur.active) return false;
      if (cur) await trx.deleteFrom('scheduler_masters').where('schedulerid', '=', schedulerid).execute();
      await trx.insertInto('scheduler_masters').values({ schedulerid, masterid }).execute();
      return true;
    });
  }

  async setEnabled(id: number, enabled: boolean): Promise<void> {
    await this.k.updateTable('schedulers').set({ enabled: enabled ? 1 : 0 }).where('id', '=', id).execute();
  }

  async classify(schedulerid: number, classifications: Record<number, boolean>): Promise<void> {
    const rows = Object.entries(classifications).map(([changeid, important]) => ({ schedulerid, changeid: Number(changeid), important: important ? 1 : 0 }));
    if (!rows.length) return;
    await this.k.insertInto('scheduler_changes').values(rows)
      .onConflict((oc) => oc.columns(['schedulerid', 'changeid']).doUpdateSet((eb) => ({ important: eb.ref('excluded.important') }))).execute();
  }

  async flushClassifications(schedulerid: number, lessThan?: number): Promise<void> {
    let q = this.k.deleteFrom('scheduler_changes').where('schedulerid', '=', schedulerid);
    if (lessThan !== undefined) q = q.where('changeid', '<', lessThan);
    await q.execute();
  }

  async classifications(schedulerid: number): Promise<Record<number, boolean>> {
    const out: Record<number, boolean> = {};
    for (const r of await this.k.selectFrom('scheduler_changes').select(['changeid', 'important']).where('schedulerid', '=', schedulerid).execute()) out[r.changeid] = !!r.important;
    return out;
  }

  private base() {
    return this.k.selectFrom('schedulers').leftJoin('scheduler_masters', 'scheduler_masters.schedulerid', 'schedulers.id');
  }

  /** Filter columns are qualified: schedulers.id, schedulers.name, schedulers.enabled, scheduler_masters.masterid. */
  async list(q: ListQuery = {}): Promise<SchedulerRow[]> {
    const base = this.base().select(['schedulers.id as id', 'schedulers.name as name', 'schedulers.enabled as enabled', 'scheduler_masters.masterid as masterid']);
    const rows = await applyOrderAndPage(applyFilters(base, q.filters), q, 'schedulers.id').execute();
    return rows.map((r) => ({ id: r.id, name: r.name, enabled: !!r.enabled, masterid: r.masterid ?? null }));
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.base().select('schedulers.id'), q.filters); }
}
