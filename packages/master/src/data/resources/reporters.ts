/**
 * reporters resource (read-only, a mastro extension): each configured reporter, and any whose
 * reports are still queued, with what its outbox holds: delivered, pending, failing (pending with a
 * failed last attempt), failed (given up), in flight, the last error and when, the last delivery
 * (epoch seconds). /reporters and /reporters/s:name. The state comes from the master's reporter
 * service (reporters/service.ts), reached through the provider it registers.
 */
import type { CollectionSource } from '../resultspec.js';
import { entity, type DataContext, type Endpoint } from './context.js';

const FIELDS = {
  name: 'string', kind: 'string', configured: 'bool', generators: 'other', delivered: 'int', pending: 'int', failing: 'int', failed: 'int',
  in_flight: 'int', last_delivered_at: 'int', last_error: 'string', last_error_at: 'int',
} as const;

const source = (ctx: DataContext): CollectionSource<Record<string, unknown>> => ({
  fields: FIELDS,
  columns: {},
  fetch: async (q) => {
    const all = await ctx.reporterStates();
    const start = q.offset ?? 0;
    return all.slice(start, q.limit === undefined ? undefined : start + q.limit);
  },
  count: async () => (await ctx.reporterStates()).length,
});

export const reporterEndpoints: Endpoint[] = [
  { pattern: 'reporters', type: 'reporters', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  { pattern: 'reporters/s:name', type: 'reporters', get: async (ctx, kw) => entity((await ctx.reporterStates()).find((r) => r.name === kw.name)) },
];
