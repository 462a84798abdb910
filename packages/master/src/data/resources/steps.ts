/**
 * steps resource: /steps/:id, /builds/:id/steps[/:number|:name], /builders/:id/builds/:number/steps[...];
 * adding, starting, updating and finishing a step.
 */
import type { StepRow } from '../../db/tables/steps.js';
import { STEP_COLUMNS } from '../../db/tables/steps.js';
import type { StepResource } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { UnknownEntityError } from '../errors.js';
import { entity, now, resolveBuildId, resolveStepId, type DataContext, type Endpoint, type UpdateContext } from './context.js';

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

// ---- writes ----

/** Buildbot's forceIdentifier: a step name or log slug usable in a URL path segment. */
export function toIdentifier(name: string, maxLength = 50): string {
  let s = name.replace(/[^a-zA-Z0-9._-]/g, '_');
  if (!/^[a-zA-Z_-]/.test(s)) s = '_' + s;
  return s.slice(0, maxLength);
}

export interface StepUpdates {
  /**
   * De-duplicates names like Buildbot: a second 'compile' becomes 'compile_1'. With `started`, the
   * step is inserted already started (one write; 'new' then 'started' are published), as
   * addStep + startStep would leave it.
   */
  addStep(s: { buildid: number; name: string; started?: boolean }): Promise<{ stepid: number; number: number; name: string }>;
  startStep(stepid: number): Promise<void>;
  setStepStateString(stepid: number, s: string): Promise<void>;
  addStepURL(stepid: number, name: string, url: string): Promise<void>;
  /** With `stateString`, also sets it in the same write (publishing the 'updated' event first, as setStepStateString does). */
  finishStep(stepid: number, results: number, hidden: boolean, stateString?: string): Promise<void>;
}

const stepPaths = (s: StepResource) => [['builds', s.buildid, 'steps', s.stepid], ['steps', s.stepid]];

export function stepUpdates(u: UpdateContext): StepUpdates {
  /** Steps in progress, as last published (see builds.ts: events are shaped from here). Removed when finished. */
  const active = new Map<number, StepResource>();

  /** Applies `change` to the step as last published and publishes the result. */
  const stepEvent = async (stepid: number, event: 'started' | 'updated' | 'finished', change: (s: StepResource) => void): Promise<void> => {
    const s = active.get(stepid) ?? (await loadStep(u.ctx, stepid));
    if (!s) throw new UnknownEntityError('step', stepid);
    change(s);
    if (event === 'finished') active.delete(stepid);
    u.events.publish(stepPaths(s), event, { ...s, urls: [...s.urls] });
  };

  return {
    async addStep(s) {
      const known = u.stepNumbering.get(s.buildid);
      const startedAt = s.started ? now() : null;
      let res: { stepid: number; number: number; name: string };
      if (known) {
        const base = toIdentifier(s.name);
        let name = base;
        for (let i = 1; known.names.has(name); i++) name = `${base}_${i}`;
        const number = known.next;
        // Reserved before the insert so a concurrent addStep of the same build picks the next ones.
        known.next++;
        known.names.add(name);
        let stepid: number;
        try {
          stepid = await u.db.steps.insert(s.buildid, number, name, startedAt);
        } catch (err) {
          // Not stored (the database may be down): a retry must get the same number and name.
          if (known.next === number + 1) known.next = number;
          known.names.delete(name);
          throw err;
        }
        res = { stepid, number, name };
        u.logSlugs.set(res.stepid, new Set());
      } else {
        res = await u.db.steps.add(s.buildid, toIdentifier(s.name), startedAt);
      }
      const step: StepResource = {
        stepid: res.stepid, number: res.number, name: res.name, buildid: s.buildid, started_at: null, complete: false,
        complete_at: null, results: null, state_string: 'pending', urls: [], hidden: false,
      };
      active.set(res.stepid, step);
      u.events.publish(stepPaths(step), 'new', { ...step, urls: [] });
      if (startedAt !== null) {
        step.started_at = startedAt;
        u.events.publish(stepPaths(step), 'started', { ...step, urls: [] });
      }
      return res;
    },

    async startStep(stepid) {
      const at = now();
      await u.db.steps.start(stepid, at);
      await stepEvent(stepid, 'started', (s) => { s.started_at = at; });
    },

    async setStepStateString(stepid, state) {
      await u.db.steps.setStateString(stepid, state);
      await stepEvent(stepid, 'updated', (s) => { s.state_string = state; });
    },

    async addStepURL(stepid, name, url) {
      await u.db.steps.addUrl(stepid, { name, url });
      await stepEvent(stepid, 'updated', (s) => { if (!s.urls.some((x) => x.name === name && x.url === url)) s.urls.push({ name, url }); });
    },

    async finishStep(stepid, results, hidden, stateString) {
      const at = now();
      await u.db.steps.finish(stepid, results, hidden, at, stateString);
      if (stateString !== undefined) await stepEvent(stepid, 'updated', (s) => { s.state_string = stateString; });
      u.logSlugs.delete(stepid);
      await stepEvent(stepid, 'finished', (s) => { s.results = results; s.hidden = hidden; s.complete = true; s.complete_at = at; });
    },
  };
}
