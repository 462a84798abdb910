/** steps resource: /steps/:id, /builds/:id/steps[/:number|:name], /builders/:id/builds/:number/steps[...]. */
import type { StepRow } from '../../db/tables/steps.js';
import { STEP_COLUMNS } from '../../db/tables/steps.js';
import type { StepResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, resolveBuildId, resolveStepId, type DataContext, type Endpoint } from './context.js';

export const shapeStep = (r: StepRow): StepResource => ({
  stepid: r.id, number: r.number, name: r.name, buildid: r.buildid, started_at: r.started_at, complete: r.complete_at !== null,
  complete_at: r.complete_at, results: r.results, state_string: r.state_string, urls: r.urls, hidden: r.hidden,
});

export async function loadStep(ctx: DataContext, stepid: number): Promise<StepResource | undefined> {
  const r = await ctx.db.steps.get(stepid);
  return r && shapeStep(r);
}

const source = (ctx: DataContext): CollectionSource<StepResource> => ({
  fields: {
    stepid: 'int', number: 'int', name: 'string', buildid: 'int', started_at: 'int', complete: 'bool', complete_at: 'int',
    results: 'int', state_string: 'string', urls: 'other', hidden: 'bool',
  },
  columns: { ...STEP_COLUMNS, complete: { notNull: 'complete_at' } },
  fetch: async (q) => (await ctx.db.steps.list(q)).map(shapeStep),
  count: (q) => ctx.db.steps.count(q),
});

/** Build prefixes under which steps (and logs) nest, as in Buildbot. */
export const BUILD_PREFIXES = ['builds/n:buildid', 'builders/n:builderid/builds/n:build_number', 'builders/i:buildername/builds/n:build_number'];
/** Step prefixes under which logs nest; numeric step before named step so digits mean numbers. */
export const STEP_PREFIXES = ['steps/n:stepid', ...BUILD_PREFIXES.flatMap((b) => [`${b}/steps/n:step_number`, `${b}/steps/i:step_name`])];

export const stepEndpoints: Endpoint[] = [
  { pattern: 'steps', type: 'steps', get: async (ctx) => ({ kind: 'collection', source: source(ctx) }) },
  ...STEP_PREFIXES.map((pattern): Endpoint => ({
    pattern, type: 'steps',
    get: async (ctx, kw) => { const id = await resolveStepId(ctx, kw); return entity(id === undefined ? undefined : await loadStep(ctx, id)); },
  })),
  ...BUILD_PREFIXES.map((b): Endpoint => ({
    pattern: `${b}/steps`, type: 'steps',
    get: async (ctx, kw) => {
      const buildid = await resolveBuildId(ctx, kw);
      // Like Buildbot, a build id that does not exist has no steps (an empty list); an unresolvable
      // builder/number pair is still a 404.
      if (buildid === undefined) return null;
      return { kind: 'collection', source: source(ctx), scope: [{ column: 'buildid', op: 'eq', values: [buildid] }] };
    },
  })),
];
