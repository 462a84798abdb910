/** steps: numbered per build, with names unique per build (Buildbot appends _1, _2, ...). */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';
import { applyFilters, applyOrderAndPage, countFiltered, type ListQuery } from '../list-query.js';
import type { StepUrl } from '../rows.js';
import { prepared } from '../prepared.js';

const insertStep = prepared((p: { buildid: number; number: number; name: string; started_at: number | null }, db) => db.insertInto('steps').values({
  number: p.number, name: p.name, buildid: p.buildid, started_at: p.started_at, complete_at: null, state_string: 'pending', results: null, urls_json: '[]', hidden: 0,
}).returning('id'));
const startStep = prepared((p: { id: number; at: number }, db) => db.updateTable('steps').set({ started_at: p.at }).where('id', '=', p.id));
const setStateString = prepared((p: { id: number; state_string: string }, db) => db.updateTable('steps').set({ state_string: p.state_string }).where('id', '=', p.id));
const finishStep = prepared((p: { id: number; results: number; hidden: number; at: number }, db) =>
  db.updateTable('steps').set({ results: p.results, hidden: p.hidden, complete_at: p.at }).where('id', '=', p.id));
const finishStepWithState = prepared((p: { id: number; results: number; hidden: number; at: number; state_string: string }, db) =>
  db.updateTable('steps').set({ results: p.results, hidden: p.hidden, complete_at: p.at, state_string: p.state_string }).where('id', '=', p.id));
const getStep = prepared((p: { id: number }, db) => db.selectFrom('steps').selectAll().where('id', '=', p.id));

export interface StepRow {
  id: number; number: number; name: string; buildid: number; started_at: number | null; complete_at: number | null;
  state_string: string; results: number | null; urls: StepUrl[]; hidden: boolean;
}

export const STEP_COLUMNS: Record<string, string> = {
  stepid: 'id', number: 'number', name: 'name', buildid: 'buildid', started_at: 'started_at',
  complete_at: 'complete_at', results: 'results', state_string: 'state_string', hidden: 'hidden',
};

const toRow = (r: any): StepRow => ({
  id: r.id, number: r.number, name: r.name, buildid: r.buildid, started_at: r.started_at == null ? null : Number(r.started_at),
  complete_at: r.complete_at == null ? null : Number(r.complete_at), state_string: r.state_string, results: r.results,
  urls: JSON.parse(r.urls_json), hidden: !!r.hidden,
});

export class StepsTable {
  constructor(private readonly k: Kysely<Schema>) {}

  /**
   * The largest step id whose step started before `epochSeconds` (null when none did), found by a
   * binary search over the primary key: ids are given in start order (as Buildbot's janitor also
   * assumes), and steps.started_at has no index, so a plain query would read every step.
   */
  async lastStartedBefore(epochSeconds: number): Promise<number | null> {
    // The first started step at or after an id: one index probe (steps never started are skipped).
    const at = async (id: number) => (await this.k.selectFrom('steps').select(['id', 'started_at'])
      .where('id', '>=', id).where('started_at', 'is not', null).orderBy('id').limit(1).executeTakeFirst()) ?? null;
    const first = await at(0);
    if (!first || Number(first.started_at) >= epochSeconds) return null;
    let lo = first.id; // started before the horizon
    const max = await this.k.selectFrom('steps').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst();
    let hi = Number(max?.m ?? lo) + 1; // no step at or above hi started before it
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const r = await at(mid);
      if (r && Number(r.started_at) < epochSeconds && r.id < hi) lo = r.id;
      else hi = mid;
    }
    return lo;
  }

  /** `startedAt` inserts the step already started (one write instead of insert + start). */
  async add(buildid: number, name: string, startedAt: number | null = null): Promise<{ stepid: number; number: number; name: string }> {
    return this.k.transaction().execute(async (trx) => {
      const existing = await trx.selectFrom('steps').select(['number', 'name']).where('buildid', '=', buildid).execute();
      const number = existing.reduce((m, r) => Math.max(m, r.number + 1), 0);
      const names = new Set(existing.map((r) => r.name));
      let unique = name;
      for (let i = 1; names.has(unique); i++) unique = `${name}_${i}`;
      const { id } = await trx.insertInto('steps').values({
        number, name: unique, buildid, started_at: startedAt, complete_at: null, state_string: 'pending', results: null, urls_json: '[]', hidden: 0,
      }).returning('id').executeTakeFirstOrThrow();
      return { stepid: id, number, name: unique };
    });
  }

  /** Inserts a step whose number and unique name the caller already knows (it runs the build). */
  async insert(buildid: number, number: number, name: string, startedAt: number | null = null): Promise<number> {
    return (await insertStep.first(this.k, { buildid, number, name, started_at: startedAt }))!.id;
  }

  async start(id: number, at: number): Promise<void> { await startStep.execute(this.k, { id, at }); }

  async setStateString(id: number, state_string: string): Promise<void> {
    await setStateString.execute(this.k, { id, state_string });
  }

  async addUrl(id: number, url: StepUrl): Promise<void> {
    await this.k.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('steps').select('urls_json').where('id', '=', id).executeTakeFirst();
      if (!r) return;
      const urls: StepUrl[] = JSON.parse(r.urls_json);
      if (urls.some((u) => u.name === url.name && u.url === url.url)) return;
      urls.push(url);
      await trx.updateTable('steps').set({ urls_json: JSON.stringify(urls) }).where('id', '=', id).execute();
    });
  }

  async finish(id: number, results: number, hidden: boolean, at: number, stateString?: string): Promise<void> {
    const p = { id, results, hidden: hidden ? 1 : 0, at };
    if (stateString === undefined) await finishStep.execute(this.k, p);
    else await finishStepWithState.execute(this.k, { ...p, state_string: stateString });
  }

  async get(id: number): Promise<StepRow | undefined> {
    const r = await getStep.first(this.k, { id });
    return r && toRow(r);
  }

  async getInBuild(buildid: number, key: { number?: number; name?: string }): Promise<StepRow | undefined> {
    let q = this.k.selectFrom('steps').selectAll().where('buildid', '=', buildid);
    q = key.number !== undefined ? q.where('number', '=', key.number) : q.where('name', '=', key.name ?? '');
    const r = await q.executeTakeFirst();
    return r && toRow(r);
  }

  async list(q: ListQuery = {}): Promise<StepRow[]> {
    return (await applyOrderAndPage(applyFilters(this.k.selectFrom('steps').selectAll(), q.filters), q, 'id').execute()).map(toRow);
  }

  count(q: ListQuery = {}): Promise<number> { return countFiltered(this.k.selectFrom('steps'), q.filters); }
}
