/**
 * changesources resource (read-only): the change sources running in this master process with
 * their live status, e.g. the mirror poller's last cycle time and per-repository errors.
 * /changesources, /changesources/i:name and (as in Buildbot) /masters/n:masterid/changesources. Status
 * lives in memory (it is about this process), so any existing master id lists this process's sources.
 * The running sources are known to the composition root, which hands them in through the data
 * context (DataConnector.setChangeSourceProvider): data/ does not reach up into changes/.
 */
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint } from './context.js';

/** One running change source: its kind (`gitPoller`), name and, when it reports one, its status. */
export interface ChangeSourceEntry { name: string; kind: string; status: unknown }

const source = (ctx: DataContext): CollectionSource<ChangeSourceEntry> => ({
  fields: { name: 'string', kind: 'string', status: 'other' },
  columns: {},
  fetch: async (q) => {
    const all = ctx.changeSources();
    const start = q.offset ?? 0;
    return all.slice(start, q.limit === undefined ? undefined : start + q.limit);
  },
  count: async () => ctx.changeSources().length,
});

export const changeSourceEndpoints: Endpoint[] = [
  { pattern: 'changesources', type: 'changesources', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  {
    pattern: 'masters/n:masterid/changesources', type: 'changesources',
    get: async (ctx, kw) => ((await ctx.db.masters.get(Number(kw.masterid))) ? { kind: 'collection', source: source(ctx) } : null),
  },
  { pattern: 'changesources/i:name', type: 'changesources', get: async (ctx, kw) => entity(ctx.changeSources().find((s) => s.name === kw.name)) },
];
