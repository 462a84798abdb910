/**
 * changesources resource (read-only): the change sources running in this master process with
 * their live status, e.g. the mirror poller's last cycle time and per-repository errors.
 * /changesources, /changesources/i:name and (as in Buildbot) /masters/n:masterid/changesources. Status
 * lives in memory (it is about this process), so any existing master id lists this process's sources.
 */
import { listChangeSources, type ChangeSourceEntry } from '../../changes/running.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, type Endpoint } from './context.js';

const source: CollectionSource<ChangeSourceEntry> = {
  fields: { name: 'string', kind: 'string', status: 'other' },
  columns: {},
  fetch: async (q) => {
    const all = listChangeSources();
    const start = q.offset ?? 0;
    return all.slice(start, q.limit === undefined ? undefined : start + q.limit);
  },
  count: async () => listChangeSources().length,
};

export const changeSourceEndpoints: Endpoint[] = [
  { pattern: 'changesources', type: 'changesources', get: async () => ({ kind: 'collection', source }) },
  {
    pattern: 'masters/n:masterid/changesources', type: 'changesources',
    get: async (ctx, kw) => ((await ctx.db.masters.get(Number(kw.masterid))) ? { kind: 'collection', source } : null),
  },
  { pattern: 'changesources/i:name', type: 'changesources', get: async (_ctx, kw) => entity(listChangeSources().find((s) => s.name === kw.name)) },
];
