/** schedulers resource: /schedulers, /schedulers/:id, /masters/:id/schedulers; scheduler ids, owners and classified changes. */
import type { SchedulerRow } from '../../db/tables/schedulers.js';
import { SCHEDULER_COLUMNS } from '../../db/tables/schedulers.js';
import type { SchedulerResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint, type UpdateContext } from './context.js';
import { shapeMaster } from './masters.js';

export async function shapeSchedulers(ctx: DataContext, rows: SchedulerRow[]): Promise<SchedulerResource[]> {
  const masters = new Map((await ctx.db.masters.list()).map((m) => [m.id, shapeMaster(m)]));
  return rows.map((r) => ({ schedulerid: r.id, name: r.name, enabled: r.enabled, master: (r.masterid !== null && masters.get(r.masterid)) || null }));
}

export async function loadScheduler(ctx: DataContext, id: number): Promise<SchedulerResource | undefined> {
  return (await shapeSchedulers(ctx, await ctx.db.schedulers.list({ filters: [{ column: 'schedulers.id', op: 'eq', values: [id] }] })))[0];
}

const source = (ctx: DataContext): CollectionSource<SchedulerResource> => ({
  fields: { schedulerid: 'int', name: 'string', enabled: 'bool', master: 'other' },
  columns: SCHEDULER_COLUMNS,
  fetch: async (q) => shapeSchedulers(ctx, await ctx.db.schedulers.list(q)),
  count: (q) => ctx.db.schedulers.count(q),
});

export const schedulerEndpoints: Endpoint[] = [
  { pattern: 'schedulers', type: 'schedulers', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  { pattern: 'schedulers/n:schedulerid', type: 'schedulers', get: async (ctx, kw) => entity(await loadScheduler(ctx, Number(kw.schedulerid))) },
  {
    pattern: 'masters/n:masterid/schedulers', type: 'schedulers',
    get: async (ctx, kw) => ({ kind: 'collection', source: source(ctx), scope: [{ column: 'scheduler_masters.masterid', op: 'eq', values: [Number(kw.masterid)] }] }),
  },
];

// ---- writes ----

export interface SchedulerUpdates {
  findSchedulerId(name: string): Promise<number>;
  /** Claims the scheduler for `masterid` (null releases it); false if another active master owns it. */
  trySetSchedulerMaster(schedulerid: number, masterid: number | null): Promise<boolean>;
  setSchedulerEnabled(schedulerid: number, enabled: boolean): Promise<void>;
  /** Records changes a scheduler classified as important or not (scheduler_changes) for tree-stable timers. */
  classifyChanges(schedulerid: number, classifications: Record<number, boolean>): Promise<void>;
  flushChangeClassifications(schedulerid: number, lessThan?: number): Promise<void>;
}

export function schedulerUpdates(u: UpdateContext): SchedulerUpdates {
  const publish = async (schedulerid: number) => {
    const s = await loadScheduler(u.ctx, schedulerid);
    if (s) u.events.publish([['schedulers', s.schedulerid]], 'updated', s);
  };
  return {
    findSchedulerId: (name) => u.db.schedulers.findOrCreate(name),

    async trySetSchedulerMaster(schedulerid, masterid) {
      const ok = await u.db.schedulers.trySetMaster(schedulerid, masterid);
      if (ok) await publish(schedulerid);
      return ok;
    },

    async setSchedulerEnabled(schedulerid, enabled) {
      await u.db.schedulers.setEnabled(schedulerid, enabled);
      await publish(schedulerid);
    },

    classifyChanges: (schedulerid, classifications) => u.db.schedulers.classify(schedulerid, classifications),
    flushChangeClassifications: (schedulerid, lessThan) => u.db.schedulers.flushClassifications(schedulerid, lessThan),
  };
}
