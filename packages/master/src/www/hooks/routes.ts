/**
 * /change_hook/<dialect> (and /change_hook for `base`): only dialects enabled in the config answer;
 * accepted changes go through `updates.addChange`. Answers like Buildbot: 202 "<n> change found",
 * 400 with the reason for bad input, 404 for a dialect that is not enabled.
 */
import type { FastifyInstance } from 'fastify';
import type { Updates } from '../../data/updates-api.js';
import { HookInputError, type ChangeHookDialect, type HookRequest } from './types.js';
import { baseDialect } from './base.js';

export const BUILTIN_DIALECTS: Record<string, ChangeHookDialect> = { base: baseDialect };

export interface ChangeHookOptions {
  /** Enabled dialects and their options, e.g. `{ base: {} }` (the config's `www.changeHooks`). */
  enabled: Record<string, Record<string, unknown> | boolean | undefined>;
  /** Extra dialect implementations (github, gitlab, ... added by other modules). */
  dialects?: Record<string, ChangeHookDialect>;
}

/** Form fields arrive as lists of strings (take the first, like Buildbot); JSON values are kept whole. */
function firstString(v: unknown, isForm: boolean): string | undefined {
  if (isForm && Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function registerChangeHooks(app: FastifyInstance, updates: Updates, opts: ChangeHookOptions): void {
  const dialects = { ...BUILTIN_DIALECTS, ...(opts.dialects ?? {}) };
  const handler = async (req: any, reply: any) => {
    const name: string = req.params.dialect || 'base';
    const options = opts.enabled[name];
    if (options === undefined || options === false) {
      return reply.code(404).type('text/plain').send(`The dialect specified, '${name}', wasn't enabled in www.changeHooks`);
    }
    const dialect = dialects[name];
    if (!dialect) return reply.code(404).type('text/plain').send(`No change hook dialect named '${name}' is available`);
    const body = req.body ?? {};
    const query = req.query ?? {};
    const isForm = !!req.isFormBody;
    const hookReq: HookRequest = {
      field: (n) => (typeof body === 'object' && n in body ? firstString(body[n], isForm) : firstString(query[n], true)),
      headers: req.headers, rawBody: req.rawBody ?? Buffer.alloc(0), body,
    };
    try {
      const { changes, src } = await dialect.getChanges(hookReq, typeof options === 'object' ? options : {});
      for (const c of changes) await updates.addChange({ ...c, src: c.src ?? src });
      return reply.code(202).type('text/plain').send(changes.length ? `${changes.length} change found` : 'no change found');
    } catch (err) {
      if (err instanceof HookInputError) return reply.code(400).type('text/plain').send(err.message);
      req.log.error({ err, dialect: name }, 'adding changes from web hook failed');
      return reply.code(500).type('text/plain').send('Error processing changes.');
    }
  };
  app.post('/change_hook', handler);
  app.post('/change_hook/:dialect', handler);
  app.get('/change_hook/:dialect', handler);
}
