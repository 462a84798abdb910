/** builds resource: /builds, /builds/:id, /builders/:id/builds[/:number], /buildrequests/:id/builds, /workers/:id/builds. */
import type { BuildRow } from '../updates-api.js';
import type { BuildResource } from '../types.js';
import type { CollectionSource, ResultSpec } from '../resultspec.js';
import { BUILD_COLUMNS } from '../../db/tables/builds.js';
import { entity, resolveBuilderId, type DataContext, type Endpoint } from './context.js';
import { filterProperties } from './properties.js';

export async function shapeBuilds(ctx: DataContext, rows: BuildRow[], properties?: string[]): Promise<BuildResource[]> {
  const props = properties?.length ? await ctx.db.builds.getProperties(rows.map((r) => r.id)) : new Map();
  return rows.map((r) => ({
    buildid: r.id, number: r.number, builderid: r.builderid, buildrequestid: r.buildrequestid, workerid: r.workerid,
    masterid: r.masterid, started_at: r.started_at, complete: r.complete_at !== null, complete_at: r.complete_at,
    results: r.results, state_string: r.state_string, properties: filterProperties(props.get(r.id), properties),
  }));
}

export async function loadBuild(ctx: DataContext, buildid: number, properties?: string[]): Promise<BuildResource | undefined> {
  const r = await ctx.db.builds.get(buildid);
  return r && (await shapeBuilds(ctx, [r], properties))[0];
}

const source = (ctx: DataContext, spec: ResultSpec): CollectionSource<BuildResource> => ({
  fields: {
    buildid: 'int', number: 'int', builderid: 'int', buildrequestid: 'int', workerid: 'int', masterid: 'int', started_at: 'int',
    complete: 'bool', complete_at: 'int', results: 'int', state_string: 'string', properties: 'other',
  },
  columns: { ...BUILD_COLUMNS, complete: { notNull: 'complete_at' } },
  fetch: async (q) => shapeBuilds(ctx, await ctx.db.builds.list(q), spec.properties),
  count: (q) => ctx.db.builds.count(q),
});

const scoped = (pattern: string, column: string, resolve: (ctx: DataContext, kw: Record<string, string | number>) => Promise<number | undefined>): Endpoint => ({
  pattern, type: 'builds',
  get: async (ctx, kw, spec) => {
    const id = await resolve(ctx, kw);
    return id === undefined ? null : { kind: 'collection', source: source(ctx, spec), scope: [{ column, op: 'eq', values: [id] }] };
  },
});

export const buildEndpoints: Endpoint[] = [
  { pattern: 'builds', type: 'builds', get: async (ctx, _kw, spec) => ({ kind: 'collection', source: source(ctx, spec) }) },
  { pattern: 'builds/n:buildid', type: 'builds', get: async (ctx, kw, spec) => entity(await loadBuild(ctx, Number(kw.buildid), spec.properties)) },
  scoped('builders/n:builderid/builds', 'builderid', resolveBuilderId),
  scoped('builders/i:buildername/builds', 'builderid', resolveBuilderId),
  ...['builders/n:builderid/builds/n:number', 'builders/i:buildername/builds/n:number'].map((pattern): Endpoint => ({
    pattern, type: 'builds',
    get: async (ctx, kw, spec) => {
      const builderid = await resolveBuilderId(ctx, kw);
      const r = builderid === undefined ? undefined : await ctx.db.builds.getByNumber(builderid, Number(kw.number));
      return entity(r && (await shapeBuilds(ctx, [r], spec.properties))[0]);
    },
  })),
  // Like Buildbot, an unknown request or worker id has no builds (an empty list, not a 404).
  scoped('buildrequests/n:buildrequestid/builds', 'buildrequestid', async (_ctx, kw) => Number(kw.buildrequestid)),
  scoped('workers/n:workerid/builds', 'workerid', async (_ctx, kw) => Number(kw.workerid)),
];
