/**
 * logs resource plus its log chunks: /logs/:id, /steps/:id/logs[/:slug], .../contents, .../raw;
 * adding a log, appending lines (published live to listeners) and finishing it.
 */
import type { LogRow } from '../../db/tables/logs.js';
import { LOG_COLUMNS } from '../../db/tables/logs.js';
import type { LogResource, LogType } from '../types.js';
import type { CollectionSource } from '../resultspec.js';
import { entity, resolveStepId, type DataContext, type Endpoint, type Kwargs, type UpdateContext } from './context.js';
import { STEP_PREFIXES, toIdentifier } from './steps.js';
import { readLogLines, streamLog } from '../log-reader.js';
import { LogLinesDroppedError } from '../errors.js';

export function shapeLog(ctx: DataContext, r: LogRow): LogResource {
  // A log being written has lines still in memory: report the live count.
  return { logid: r.id, name: r.name, slug: r.slug, stepid: r.stepid, complete: r.complete, num_lines: ctx.logs.liveLines(r.id) ?? r.num_lines, type: r.type };
}

export async function loadLog(ctx: DataContext, logid: number): Promise<LogResource | undefined> {
  const r = await ctx.db.logs.get(logid);
  return r && shapeLog(ctx, r);
}

async function resolveLog(ctx: DataContext, kw: Kwargs): Promise<LogResource | undefined> {
  if (kw.logid !== undefined) return loadLog(ctx, Number(kw.logid));
  const stepid = await resolveStepId(ctx, kw);
  const r = stepid === undefined ? undefined : await ctx.db.logs.getBySlug(stepid, String(kw.log_slug));
  return r && shapeLog(ctx, r);
}

const source = (ctx: DataContext): CollectionSource<LogResource> => ({
  fields: { logid: 'int', name: 'string', slug: 'string', stepid: 'int', complete: 'bool', num_lines: 'int', type: 'string' },
  columns: LOG_COLUMNS,
  fetch: async (q) => (await ctx.db.logs.list(q)).map((r) => shapeLog(ctx, r)),
  count: (q) => ctx.db.logs.count(q),
});

const LOG_PREFIXES = ['logs/n:logid', ...STEP_PREFIXES.map((s) => `${s}/logs/i:log_slug`)];

export const logEndpoints: Endpoint[] = [
  ...LOG_PREFIXES.map((pattern): Endpoint => ({ pattern, type: 'logs', get: async (ctx, kw) => entity(await resolveLog(ctx, kw)) })),
  ...STEP_PREFIXES.map((s): Endpoint => ({
    pattern: `${s}/logs`, type: 'logs',
    get: async (ctx, kw) => {
      const stepid = await resolveStepId(ctx, kw);
      // Like Buildbot, a step id that does not exist has no logs (an empty list); an unresolvable
      // build/step path is still a 404.
      if (stepid === undefined || (kw.stepid === undefined && !(await ctx.db.steps.get(stepid)))) return null;
      return { kind: 'collection', source: source(ctx), scope: [{ column: 'stepid', op: 'eq', values: [stepid] }] };
    },
  })),
  // /contents is a pseudo-collection in Buildbot: offset/limit select lines, the answer is one logchunk.
  ...LOG_PREFIXES.map((p): Endpoint => ({
    pattern: `${p}/contents`, type: 'logchunks',
    get: async (ctx, kw, spec) => {
      const log = await resolveLog(ctx, kw);
      if (!log) return null;
      const first = spec.offset ?? 0;
      const last = spec.limit === undefined ? Math.max(0, log.num_lines - 1) : first + spec.limit - 1;
      spec.offset = undefined; spec.limit = undefined;
      if (last < first) return null;
      return { kind: 'entity', item: { logid: log.logid, firstline: first, content: await readLogLines(ctx.db, ctx.logs, log.logid, first, last) } };
    },
  })),
  ...LOG_PREFIXES.map((p): Endpoint => ({
    pattern: `${p}/raw`, type: 'raw',
    get: async (ctx, kw) => {
      const log = await resolveLog(ctx, kw);
      if (!log) return null;
      return { kind: 'raw', filename: log.slug, mimeType: log.type === 'h' ? 'text/html' : 'text/plain', stream: streamLog(ctx.db, ctx.logs, log.logid, log.type) };
    },
  })),
];

// ---- events ----

const logPaths = (l: Pick<LogResource, 'logid' | 'stepid' | 'slug'>) => [['logs', l.logid], ['steps', l.stepid, 'logs', l.slug]];

// ---- writes ----

export interface LogUpdates {
  addLog(l: { stepid: number; name: string; type: LogType }): Promise<number>;
  /**
   * Appends complete lines (each ending in '\n'): text, or the UTF-8 bytes of whole lines (what a
   * worker sent, kept as bytes). With `stream` ('o' stdout, 'e' stderr, 'h' header) the lines are of
   * that stream, read back with it as their prefix, as Buildbot stores 's' logs; without it the
   * content is taken as given (already prefixed for 's' logs). Lines beyond `logMaxSize` are dropped,
   * keeping the head and the last `logMaxTailSize` bytes with a marker line between. Publishes
   * ['logs', id, 'append']. While the database cannot be written the lines are held in memory and
   * stored once it is back; when `outageBufferSize` is full they are dropped (marked in the log) and
   * this throws LogLinesDroppedError.
   */
  appendLog(logid: number, content: string | readonly Buffer[], stream?: 'o' | 'e' | 'h'): Promise<void>;
  finishLog(logid: number): Promise<void>;
  compressLog(logid: number): Promise<void>;
}

/** What an append or finish that lost lines to a full outage buffer throws. */
function droppedError(logid: number, dropped: { lines: number; bytes: number; reason: string }): LogLinesDroppedError {
  return new LogLinesDroppedError(logid, dropped.lines, dropped.bytes, `the database could not be written (${dropped.reason}) and the log output held meanwhile filled db.outageBufferSize; a marker line in the log shows where`);
}

export function logUpdates(u: UpdateContext): LogUpdates {
  return {
    async addLog(l) {
      const slugs = u.logSlugs.get(l.stepid);
      let logid: number;
      let slug = toIdentifier(l.name);
      if (slugs) {
        const base = slug;
        for (let i = 1; slugs.has(slug); i++) slug = `${base}_${i}`;
        slugs.add(slug);
        try {
          logid = await u.db.logs.insert(l.stepid, l.name, slug, l.type);
        } catch (err) {
          slugs.delete(slug); // not stored: a retry must get the same slug
          throw err;
        }
        // A step of our own build: its runtime finishes every log it adds, which forgets this entry.
        u.ctx.logs.opened({ id: logid, name: l.name, slug, stepid: l.stepid, complete: false, num_lines: 0, type: l.type });
      } else {
        ({ logid, slug } = await u.db.logs.add(l.stepid, l.name, slug, l.type));
      }
      const log: LogResource = { logid, name: l.name, slug, stepid: l.stepid, complete: false, num_lines: 0, type: l.type };
      u.events.publish(logPaths(log), 'new', log);
      return logid;
    },

    async appendLog(logid, content, stream) {
      // Live lines are decoded only for a listener: a 1 MiB string per append otherwise goes to waste.
      const r = await u.ctx.logs.append(logid, content, stream, (row) => u.events.wanted(logPaths({ logid: row.id, stepid: row.stepid, slug: row.slug }), 'append'));
      if (r.dropped) throw droppedError(logid, r.dropped);
      if (!r.content) return;
      const log = { ...shapeLog(u.ctx, r.row), num_lines: r.numLines };
      u.events.publish(logPaths(log), 'append', { ...log, firstline: r.firstline, content: r.content });
    },

    async finishLog(logid) {
      const r = await u.ctx.logs.finish(logid);
      if (r.tailContent) {
        const log = { ...shapeLog(u.ctx, r.row), num_lines: r.numLines };
        u.events.publish(logPaths(log), 'append', { ...log, firstline: r.tailFirstLine, content: r.tailContent });
      }
      await u.db.logs.finish(logid);
      const log = { ...shapeLog(u.ctx, r.row), num_lines: r.numLines, complete: true };
      u.events.publish(logPaths(log), 'finished', log);
      // Finished, with a marker where lines are missing: the caller must still learn of them.
      if (r.dropped) throw droppedError(logid, r.dropped);
    },

    /** Chunks are compressed as they are written; this only makes sure nothing is left in memory. */
    async compressLog(logid) { await u.ctx.logs.flush(logid); },
  };
}
