/** workers (+ configured_workers, connected_workers): identities, where they are configured and connected. */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, nowSeconds, type ListQuery } from '../list-query.js';

export interface WorkerRow {
  id: number; name: string; info: Record<string, unknown>; paused: boolean; graceful: boolean;
  /** mastro: the pool (null for a named worker), effective tags and platform as of its last connection. */
  pool: string | null; tags: string[]; os: string | null; arch: string | null;
  connected_to: Array<{ masterid: number }>; configured_on: Array<{ masterid: number; builderid: number }>;
}

export const WORKER_COLUMNS: Record<string, string> = { workerid: 'id', name: 'name', paused: 'paused', graceful: 'graceful', pool: 'pool', os: 'os', arch: 'arch' };

/** What the master knows of a worker beyond Buildbot's info: its pool, effective tags and platform. */
export interface WorkerPlatformColumns { pool: string | null; tags: readonly string[]; os: string | null; arch: string | null }

/** A pool worker not connected to any master and not forgotten: a candidate for its pool's forgetAfter. */
export interface AbsentPoolWorker { id: number; name: string; pool: string; last_seen_at: number | null }

export class WorkersTable {
  constructor(private readonly k: Kysely<Schema>) {}

  async findOrCreate(name: string): Promise<number> {
    await this.k.insertInto('workers').values({ name, info_json: '{}', paused: 0, graceful: 0 })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    return (await this.k.selectFrom('workers').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  }

  /** Makes `builderids` exactly the builders the worker is configured for on `masterid`. */
  async setConfigured(workerid: number, masterid: number, builderids: number[]): Promise<void> {
    await this.k.transaction().execute(async (trx) => {
      const mine = trx.selectFrom('builders_masters').select('id').where('masterid', '=', masterid);
      await trx.deleteFrom('configured_workers').where('workerid', '=', workerid).where('buildermasterid', 'in', mine).execute();
      if (!builderids.length) return;
      const bms = await trx.selectFrom('builders_masters').select(['id', 'builderid']).where('masterid', '=', masterid).where('builderid', 'in', builderids).execute();
      const have = new Set(bms.map((b) => b.builderid));
      const missing = builderids.filter((b) => !have.has(b));
      if (missing.length) bms.push(...await trx.insertInto('builders_masters').values(missing.map((builderid) => ({ builderid, masterid }))).returning(['id', 'builderid']).execute());
      await trx.insertInto('configured_workers').values(bms.map((b) => ({ buildermasterid: b.id, workerid }))).execute();
    });
  }

  async setConnected(workerid: number, masterid: number, info: Record<string, unknown>, platform?: WorkerPlatformColumns): Promise<void> {
    await this.k.transaction().execute(async (trx) => {
      const columns = platform ? { pool: platform.pool, tags_json: JSON.stringify(platform.tags), os: platform.os, arch: platform.arch } : {};
      await trx.updateTable('workers').set({ info_json: JSON.stringify(info ?? {}), ...columns, last_seen_at: nowSeconds(), forgotten_at: null }).where('id', '=', workerid).execute();
      await trx.insertInto('connected_workers').values({ workerid, masterid })
        .onConflict((oc) => oc.columns(['masterid', 'workerid']).doNothing()).execute();
    });
  }

  async setDisconnected(workerid: number, masterid: number): Promise<void> {
    await this.k.transaction().execute(async (trx) => {
      await trx.deleteFrom('connected_workers').where('workerid', '=', workerid).where('masterid', '=', masterid).execute();
      await trx.updateTable('workers').set({ last_seen_at: nowSeconds() }).where('id', '=', workerid).execute();
    });
  }

  /** Pool workers connected to no master and not forgotten (with when they were last seen), for forgetAfter at start-up. */
  async absentPoolWorkers(): Promise<AbsentPoolWorker[]> {
    const rows = await this.k.selectFrom('workers').select(['id', 'name', 'pool', 'last_seen_at'])
      .where('pool', 'is not', null).where('forgotten_at', 'is', null)
      .where('id', 'not in', (eb) => eb.selectFrom('connected_workers').select('workerid')).execute();
    return rows.map((r) => ({ id: r.id, name: r.name, pool: r.pool!, last_seen_at: r.last_seen_at === null ? null : Number(r.last_seen_at) }));
  }

  /**
   * Drops workers from the workers list (`list` skips them; by id or name they are still found, so
   * their builds keep a worker). A worker connected again meanwhile is left alone. Returns the ids forgotten.
   */
  async forget(workerids: readonly number[]): Promise<number[]> {
    if (!workerids.length) return [];
    const rows = await this.k.updateTable('workers').set({ forgotten_at: nowSeconds() })
      .where('id', 'in', [...workerids]).where('forgotten_at', 'is', null)
      .where('id', 'not in', (eb) => eb.selectFrom('connected_workers').select('workerid'))
      .returning('id').execute();
    return rows.map((r) => r.id);
  }

  /** Forgets every connection of a master (at start-up after a crash, or when it stops). */
  async clearMasterConnections(masterid: number): Promise<void> {
    await this.k.deleteFrom('connected_workers').where('masterid', '=', masterid).execute();
  }

  async setState(workerid: number, s: { paused?: boolean; graceful?: boolean }): Promise<void> {
    const set: Record<string, number> = {};
    if (s.paused !== undefined) set.paused = s.paused ? 1 : 0;
    if (s.graceful !== undefined) set.graceful = s.graceful ? 1 : 0;
    if (Object.keys(set).length) await this.k.updateTable('workers').set(set).where('id', '=', workerid).execute();
  }

  /** `includeForgotten`: also pool workers dropped by forgetAfter (lookups by id or name find them; lists do not). */
  async list(q: ListQuery = {}, scope: { builderid?: number; masterid?: number } = {}, opts: { includeForgotten?: boolean } = {}): Promise<WorkerRow[]> {
    let base = this.k.selectFrom('workers').selectAll();
    if (!opts.includeForgotten) base = base.where('forgotten_at', 'is', null);
    if (scope.builderid !== undefined || scope.masterid !== undefined) {
      base = base.where('id', 'in', (eb) => {
        let s = eb.selectFrom('configured_workers').innerJoin('builders_masters', 'builders_masters.id', 'configured_workers.buildermasterid').select('configured_workers.workerid');
        if (scope.builderid !== undefined) s = s.where('builders_masters.builderid', '=', scope.builderid);
        if (scope.masterid !== undefined) s = s.where('builders_masters.masterid', '=', scope.masterid);
        return s;
      });
    }
    const rows = await applyOrderAndPage(applyFilters(base, q.filters), q, 'id').execute();
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const conn = await this.k.selectFrom('connected_workers').select(['workerid', 'masterid']).where('workerid', 'in', ids).execute();
    const conf = await this.k.selectFrom('configured_workers').innerJoin('builders_masters', 'builders_masters.id', 'configured_workers.buildermasterid')
      .select(['configured_workers.workerid as workerid', 'builders_masters.masterid as masterid', 'builders_masters.builderid as builderid'])
      .where('configured_workers.workerid', 'in', ids).execute();
    return rows.map((r) => ({
      id: r.id, name: r.name, info: JSON.parse(r.info_json), paused: !!r.paused, graceful: !!r.graceful,
      pool: r.pool ?? null, tags: JSON.parse(r.tags_json ?? '[]'), os: r.os ?? null, arch: r.arch ?? null,
      connected_to: conn.filter((c) => c.workerid === r.id).map((c) => ({ masterid: c.masterid })),
      configured_on: conf.filter((c) => c.workerid === r.id).map((c) => ({ masterid: c.masterid, builderid: c.builderid })),
    }));
  }

  async get(id: number): Promise<WorkerRow | undefined> { return (await this.list({ filters: [{ column: 'id', op: 'eq', values: [id] }] }, {}, { includeForgotten: true }))[0]; }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('workers').where('forgotten_at', 'is', null), q.filters); }
}
