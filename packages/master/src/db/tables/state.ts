/** objects + object_state: JSON state persisted by schedulers and pollers across restarts. */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';

export class StateTable {
  constructor(private readonly k: Kysely<Schema>) {}

  async objectId(name: string, className: string): Promise<number> {
    await this.k.insertInto('objects').values({ name, class_name: className })
      .onConflict((oc) => oc.columns(['name', 'class_name']).doNothing()).execute();
    return (await this.k.selectFrom('objects').select('id').where('name', '=', name).where('class_name', '=', className).executeTakeFirstOrThrow()).id;
  }

  async get(objectid: number, key: string): Promise<{ value: unknown } | undefined> {
    const r = await this.k.selectFrom('object_state').select('value_json').where('objectid', '=', objectid).where('name', '=', key).executeTakeFirst();
    return r && { value: JSON.parse(r.value_json) };
  }

  async set(objectid: number, key: string, value: unknown): Promise<void> {
    const value_json = JSON.stringify(value ?? null);
    await this.k.insertInto('object_state').values({ objectid, name: key, value_json })
      .onConflict((oc) => oc.columns(['objectid', 'name']).doUpdateSet({ value_json })).execute();
  }
}
