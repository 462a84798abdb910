/**
 * builds resource: /builds, /builds/:id, /builders/:id/builds[/:number], /buildrequests/:id/builds, /workers/:id/builds;
 * adding a build, its state string, properties and finish.
 */
import type { BuildRow } from '../../db/rows.js';
import type { BuildResource, SourcedProperties } from '../types.js';
import { UnknownEntityError } from '../errors.js';
import type { CollectionSource, ResultSpec } from '../resultspec.js';
import { BUILD_COLUMNS } from '../../db/tables/builds.js';
import { entity, now, resolveBuilderId, type DataContext, type Endpoint, type UpdateContext } from './context.js';
import { filterProperties } from './properties.js';
import { ReportEvents } from '../report-outbox.js';

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

// ---- events ----

const buildPaths = (b: BuildResource) => [['builders', b.builderid, 'builds', b.number], ['builds', b.buildid], ['workers', b.workerid, 'builds', b.buildid]];

// ---- writes ----

export interface AddBuildInput {
  builderid: number; buildrequestid: number; workerid: number; masterid: number; state_string: string;
}

export interface BuildUpdates {
  addBuild(b: AddBuildInput): Promise<{ buildid: number; number: number }>;
  setBuildStateString(buildid: number, s: string): Promise<void>;
  /** With `stateString`, also sets it in the same write (publishing the 'update' event first, as setBuildStateString does). */
  finishBuild(buildid: number, results: number, stateString?: string): Promise<void>;
  setBuildProperty(buildid: number, name: string, value: unknown, source: string): Promise<void>;
  setBuildProperties(buildid: number, props: SourcedProperties): Promise<void>;
}

export function buildUpdates(u: UpdateContext): BuildUpdates {
  /**
   * Builds in progress, as last published: their events are shaped from here instead of re-reading
   * the row after every update (a build makes dozens of updates). Removed when finished.
   */
  const active = new Map<number, BuildResource>();
  const current = async (buildid: number): Promise<BuildResource> => {
    const b = active.get(buildid) ?? (await loadBuild(u.ctx, buildid));
    if (!b) throw new UnknownEntityError('build', buildid);
    return b;
  };
  const updates: BuildUpdates = {
    async addBuild(b) {
      const started_at = now();
      const reports = u.reportRows(ReportEvents.buildStarted, { scope: `builder:${b.builderid}` });
      const res = await u.db.builds.add({ ...b, started_at }, reports);
      u.reported(reports);
      const build: BuildResource = {
        buildid: res.buildid, number: res.number, builderid: b.builderid, buildrequestid: b.buildrequestid, workerid: b.workerid,
        masterid: b.masterid, started_at, complete: false, complete_at: null, results: null, state_string: b.state_string, properties: {},
      };
      active.set(res.buildid, build);
      u.stepNumbering.set(res.buildid, { next: 0, names: new Set() });
      u.events.publish(buildPaths(build), 'new', { ...build });
      return res;
    },

    async setBuildStateString(buildid, s) {
      await u.db.builds.setStateString(buildid, s);
      const b = await current(buildid);
      b.state_string = s;
      u.events.publish(buildPaths(b), 'update', { ...b });
    },

    async finishBuild(buildid, results, stateString) {
      const complete_at = now();
      const b = await current(buildid);
      // Stored with the result, in its transaction: a master killed right after still reports it.
      const reports = u.reportRows(ReportEvents.buildFinished, { scope: `builder:${b.builderid}` });
      await u.db.builds.finish(buildid, results, complete_at, stateString, reports);
      u.reported(reports);
      if (stateString !== undefined) {
        b.state_string = stateString;
        u.events.publish(buildPaths(b), 'update', { ...b });
      }
      active.delete(buildid);
      u.stepNumbering.delete(buildid);
      u.events.publish(buildPaths(b), 'finished', { ...b, complete: true, complete_at, results });
    },

    setBuildProperty: (buildid, name, value, source) => updates.setBuildProperties(buildid, { [name]: [value, source] }),

    async setBuildProperties(buildid, props) {
      if (!Object.keys(props).length) return;
      await u.db.builds.setProperties(buildid, props);
      u.events.publish([['builds', buildid, 'properties']], 'update', props);
    },
  };
  return updates;
}
