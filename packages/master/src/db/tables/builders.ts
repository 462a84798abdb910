/** builders (+ builders_masters): builder identities and which masters run them. */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';

export interface BuilderRow { id: number; name: string; description: string | null; tags: string[]; masterids: number[] }

export class BuildersTable {
  constructor(private readonly k: Kysely<Schema>) {}

  async findOrCreate(name: string): Promise<number> {
    await this.k.insertInto('builders').values({ name, description: null, tags_json: '[]' })
      .onConflict((oc) => oc.column('name').doNothing()).execute();
    return (await this.k.selectFrom('builders').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  }

  async findId(name: string): Promise<number | undefined> {
    return (await this.k.selectFrom('builders').select('id').where('name', '=', name).executeTakeFirst())?.id;
  }

  async updateInfo(id: number, info: { description?: string | null; tags?: string[] }): Promise<void> {
    const set: Record<string, unknown> = {};
    if (info.description !== undefined) set.description = info.description;
    if (info.tags !== undefined) set.tags_json = JSON.stringify(info.tags);
    if (Object.keys(set).length) await this.k.updateTable('builders').set(set).where('id', '=', id).execute();
  }

  /** Makes `builderids` exactly the builders `masterid` runs. */
  async setMasterBuilders(masterid: number, builderids: number[]): Promise<void> {
    await this.k.transaction().execute(async (trx) => {
      const have = new Set((await trx.selectFrom('builders_masters').select('builderid').where('masterid', '=', masterid).execute()).map((r) => r.builderid));
      const want = new Set(builderids);
      const drop = [...have].filter((b) => !want.has(b));
      const add = [...want].filter((b) => !have.has(b));
      if (drop.length) {
        const bmids = (await trx.selectFrom('builders_masters').select('id').where('masterid', '=', masterid).where('builderid', 'in', drop).execute()).map((r) => r.id);
        await trx.deleteFrom('configured_workers').where('buildermasterid', 'in', bmids).execute();
        await trx.deleteFrom('builders_masters').where('id', 'in', bmids).execute();
      }
      if (add.length) await trx.insertInto('builders_masters').values(add.map((builderid) => ({ builderid, masterid }))).execute();
    });
  }

  async list(q: ListQuery = {}, masterid?: number): Promise<BuilderRow[]> {
    let base = this.k.selectFrom('builders').selectAll();
    if (masterid !== undefined) base = base.where('id', 'in', (eb) => eb.selectFrom('builders_masters').select('builderid').where('masterid', '=', masterid));
    const rows = await applyOrderAndPage(applyFilters(base, q.filters), q, 'id').execute();
    if (!rows.length) return [];
    const bm = await this.k.selectFrom('builders_masters').select(['builderid', 'masterid']).where('builderid', 'in', rows.map((r) => r.id)).execute();
    const byBuilder = new Map<number, number[]>();
    for (const r of bm) { let l = byBuilder.get(r.builderid); if (!l) byBuilder.set(r.builderid, (l = [])); l.push(r.masterid); }
    return rows.map((r) => ({ id: r.id, name: r.name, description: r.description, tags: JSON.parse(r.tags_json), masterids: (byBuilder.get(r.id) ?? []).sort((a, b) => a - b) }));
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('builders'), q.filters); }
}
