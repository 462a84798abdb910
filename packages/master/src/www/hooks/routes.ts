/**
 * /change_hook/<dialect> (and /change_hook for `base`). Only dialects enabled in the config answer
 * (404 otherwise); accepted changes go through `updates.addChange`.
 *  - `base` answers like Buildbot: 200 "<n> change found" (Buildbot 3.7 means 202, but writes the body
 *    first, so its clients get 200), 400 with the reason for bad input.
 *  - github, gitlab, gerrit (./dialects.ts) answer through `handleHookRequest` (signatures, replays, body limits);
 *    with the database's hook_deliveries table their replay keys outlive a restart (./stored-replay-guard.ts).
 * With `www.changeHookAuth` every request must first pass HTTP Basic authentication (./hook-auth.ts):
 * 401 with a WWW-Authenticate challenge otherwise, 429 when an address or user name failed too often.
 * Dialect secrets are checked after it, so a forge webhook needs both.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Updates } from '../../data/updates-api.js';
import { HookInputError } from './types.js';
import { outageMessage } from '../../data/errors.js';
import { OUTAGE_RETRY_AFTER_SEC } from '../error-replies.js';
import { readBaseHook } from './base.js';
import { CHANGE_HOOK_FACTORIES, handleHookRequest, type ChangeHookDialect } from './dialects.js';
import { ChangeHookAuth, changeHookAuthWarning, HOOK_AUTH_CHALLENGE, type HookAuthOptions } from './hook-auth.js';
import type { ChangeHookAuthEntry } from '../options.js';
import type { HookDeliveriesTable } from '../../db/tables/hook-deliveries.js';
import type { DeliveryMemory } from './replay-guard.js';
import { StoredReplayGuard } from './stored-replay-guard.js';

export interface ChangeHookOptions {
  /** Enabled dialects and their options, e.g. `{ base: {}, github: { secret } }` (the config's `www.changeHooks`). */
  enabled: Record<string, Record<string, unknown> | boolean | undefined>;
  /** Extra or replacement dialect implementations, by name. */
  dialects?: Record<string, ChangeHookDialect>;
  /** The database's hook_deliveries table: replay keys outlive a restart. None = each dialect's memory only. */
  deliveries?: HookDeliveriesTable | null;
  /** Told about failures nobody waits for (cleaning old replay keys). */
  onError?: (err: unknown, what: string) => void;
  /** `www.changeHookAuth`: credentials every hook request must carry; none/null = open, false = open on purpose. */
  auth?: readonly ChangeHookAuthEntry[] | false | null;
  /** Where password files and users come from, and the failed-attempt limits (see hook-auth.ts). */
  authOptions?: HookAuthOptions;
  /** The interface the server listens on, to warn about open hooks reachable from other machines. */
  host?: string;
}

/** Form fields arrive as lists of strings (take the first, like Buildbot); JSON values are kept whole. */
function firstString(v: unknown, isForm: boolean): string | undefined {
  if (isForm && Array.isArray(v)) v = v[0];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/**
 * The fields of a `base` hook body: Buildbot's form encoding (every field a list of strings) or a
 * JSON object; other bodies have none (the fields may then come from the query string).
 */
function readBaseBody(raw: Buffer | undefined, contentType: string | undefined): { fields: Record<string, unknown> | null; isForm: boolean } {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (!raw?.length) return { fields: null, isForm: false };
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) (out[k] ??= []).push(v);
    return { fields: out, isForm: true };
  }
  if (type !== 'application/json') return { fields: null, isForm: false };
  let parsed: unknown;
  try { parsed = JSON.parse(raw.toString('utf8')); } catch (err) {
    throw new HookInputError(`the request body is not valid JSON (${(err as Error).message}); send form fields or a JSON object`);
  }
  return { fields: parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : null, isForm: false };
}

function unknownDialect(name: string): string {
  return `The dialect specified, '${name}', wasn't enabled in www.changeHooks (known: base, ${Object.keys(CHANGE_HOOK_FACTORIES).join(', ')})`;
}

/** The parts of the options a reconfig may change (everything but the dialect implementations). */
export type ChangeHookConfig = Omit<ChangeHookOptions, 'dialects' | 'deliveries' | 'onError'>;

/** What the hook routes read per request; replaced as a whole by a reconfig. */
interface HookState {
  enabled: ChangeHookOptions['enabled'];
  /**
   * Dialect objects with the options they were built from and where their replay keys live (kept
   * when the options stay the same: without a database that memory is all there is).
   */
  dialects: Map<string, { key: string; dialect: ChangeHookDialect; memory: DeliveryMemory }>;
  auth: ChangeHookAuth | null;
  authKey: string;
}

export interface ChangeHooks {
  /**
   * Builds the hooks of a changed `www.changeHooks` / `www.changeHookAuth` (a reconfig) without
   * applying them: a mistake throws and the running hooks stay. `commit()` swaps them in at once.
   * Dialects and credential checks whose options did not change are kept, with their replay memory
   * and failed-login counters.
   */
  prepare(config: ChangeHookConfig): { commit(): void };
}

function buildState(opts: ChangeHookOptions, prev: HookState | null): HookState {
  const dialects: HookState['dialects'] = new Map();
  const withMemory = (key: string, dialect: ChangeHookDialect) => ({
    key, dialect,
    memory: opts.deliveries ? new StoredReplayGuard(opts.deliveries, dialect.name, { ...dialect.replay, onError: opts.onError }) : dialect.replayGuard,
  });
  for (const [name, options] of Object.entries(opts.enabled)) {
    if (name === 'base' || options === undefined || options === false) continue;
    const given = opts.dialects?.[name];
    const factory = CHANGE_HOOK_FACTORIES[name];
    const key = JSON.stringify(options);
    const kept = prev?.dialects.get(name);
    if (kept?.key === key && (!given || kept.dialect === given)) dialects.set(name, kept);
    else if (given) dialects.set(name, withMemory(key, given));
    else if (factory) dialects.set(name, withMemory(key, factory(typeof options === 'object' ? options : {})));
    else throw new Error(unknownDialect(name).replace("wasn't enabled in www.changeHooks", 'is not a change hook dialect mastro has'));
  }
  const a = opts.authOptions;
  const authKey = JSON.stringify([opts.auth ?? null, a?.masterDir ?? null, a?.burst ?? null, a?.refillPerSecond ?? null]);
  const auth = prev && prev.authKey === authKey ? prev.auth : opts.auth ? new ChangeHookAuth(opts.auth, opts.authOptions) : null;
  return { enabled: opts.enabled, dialects, auth, authKey };
}

export function registerChangeHooks(app: FastifyInstance, updates: Updates, opts: ChangeHookOptions): ChangeHooks {
  // The reply goes out once the change is stored; schedulers hear of it right after (not before the reply).
  const addChange = (c: Parameters<Updates['addChange']>[0]) => updates.addChange(c, { deferEvent: true });
  const warnIfOpen = (o: ChangeHookConfig) => {
    const warning = changeHookAuthWarning({ host: o.host, changeHooks: o.enabled, changeHookAuth: o.auth });
    if (warning) app.log.warn({ path: 'www.changeHookAuth' }, warning);
  };
  let state = buildState(opts, null);
  warnIfOpen(opts);

  const base = async (req: FastifyRequest, reply: FastifyReply) => {
    const query: any = req.query ?? {};
    try {
      const { fields: body, isForm } = readBaseBody(req.body as Buffer | undefined, req.headers['content-type']);
      const change = readBaseHook({ field: (n) => (body && n in body ? firstString(body[n], isForm) : firstString(query[n], true)) });
      await addChange(change);
      return reply.code(200).type('text/plain').send('1 change found');
    } catch (err) {
      if (err instanceof HookInputError) return reply.code(400).type('text/plain').send(err.message);
      const unavailable = outageMessage(err);
      if (unavailable) return reply.code(503).header('retry-after', String(OUTAGE_RETRY_AFTER_SEC)).type('text/plain').send(`the change was not recorded: ${unavailable}`);
      req.log.error({ err, dialect: 'base' }, 'adding changes from web hook failed');
      return reply.code(500).type('text/plain').send('Error processing changes.');
    }
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    // One state for the whole request, even if a reconfig swaps it meanwhile.
    const { auth, enabled, dialects } = state;
    if (auth) {
      let r;
      try { r = await auth.check({ headers: req.headers, ip: req.ip }); } catch (err) {
        req.log.error({ err }, 'checking change hook credentials failed');
        return reply.code(500).type('text/plain').send('checking change hook credentials failed; see the master log');
      }
      if (!r.ok) {
        if (r.status === 401) reply.header('www-authenticate', HOOK_AUTH_CHALLENGE);
        if (r.retryAfterSec) reply.header('retry-after', String(r.retryAfterSec));
        return reply.code(r.status).type('text/plain').send(r.message);
      }
    }
    const name = (req.params as { dialect?: string }).dialect || 'base';
    if (name === 'base') {
      if (enabled.base === undefined || enabled.base === false) return reply.code(404).type('text/plain').send(unknownDialect(name));
      return base(req, reply);
    }
    const entry = dialects.get(name);
    if (!entry) return reply.code(404).type('text/plain').send(unknownDialect(name));
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    try {
      const r = await handleHookRequest(entry.dialect, { method: req.method, headers: req.headers, query: req.query as Record<string, string | undefined>, body: rawBody }, addChange, entry.memory);
      return reply.code(r.status).send(r.body);
    } catch (err) {
      const unavailable = outageMessage(err);
      if (unavailable) return reply.code(503).header('retry-after', String(OUTAGE_RETRY_AFTER_SEC)).send({ message: `the changes were not recorded: ${unavailable}` });
      req.log.error({ err, dialect: name }, 'adding changes from web hook failed');
      return reply.code(500).send({ message: 'Error processing changes; see the master log' });
    }
  };
  // Every body reaches the hooks as its raw bytes, whatever its content type: signatures are
  // checked on those bytes before anything parses them, and each dialect names the content types
  // it takes (the server's own parsers would refuse bad JSON, or turn text/plain into a string,
  // before a signature was ever looked at).
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/change_hook', handler);
    scope.post('/change_hook/:dialect', handler);
    scope.get('/change_hook/:dialect', handler);
  });
  return {
    prepare(config) {
      const next = buildState({ ...config, dialects: opts.dialects, deliveries: opts.deliveries, onError: opts.onError }, state);
      return { commit: () => { state = next; warnIfOpen(config); } };
    },
  };
}
