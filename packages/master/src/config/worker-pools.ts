/**
 * Normalising a `workerPool({...})` item of the config's `workers` list (types.ts documents each
 * option). A pool is told from a named worker by its brand, or, for a plain object (YAML, a `.js`
 * config without the helper), by having a `token` and no `password`.
 */
import { TagError, checkTags, poolNameProblem } from 'mastro-protocol';
import { MAX_TOKENS_PER_POOL, MIN_POOL_TOKEN_LENGTH } from '../workers/pool-auth.js';
import { kindOf } from '../model/config-brand.js';
import { describe, isPlainObject, knownKeys, num, numOrNull, record, str, strList, type Obj } from '../model/config-checks.js';
import { DEFAULTS } from './defaults.js';
import type { IssueCollector } from '../model/config-errors.js';
import type { WorkerPoolConfig } from './types.js';

export const POOL_KEYS = ['name', 'token', 'tags', 'maxWorkers', 'maxBuilds', 'properties', 'forgetAfter'];

export function isPoolItem(raw: unknown): boolean {
  if (kindOf(raw) === 'workerPool') return true;
  return isPlainObject(raw) && kindOf(raw) !== 'worker' && 'token' in raw && !('password' in raw);
}

/** Why a literal token is unusable, or null (a renderable is checked once rendered, by the master). */
export function tokenProblem(token: string): string | null {
  if (token.trim() !== token) return 'must not start or end with spaces (a token file\'s line is read without them)';
  if (token.length < MIN_POOL_TOKEN_LENGTH) {
    return `is ${token.length} characters long; a pool token admits any host that has it, so it needs at least ${MIN_POOL_TOKEN_LENGTH}: make one with \`openssl rand -hex 32\``;
  }
  return null;
}

function tokens(c: IssueCollector, raw: Obj): unknown[] {
  const v = raw.token;
  if (v === undefined || v === null || v === '') { c.add('token', "is required: the pool's token (a string or util.secret('name')), or a list of two while rotating"); return []; }
  const list = Array.isArray(v) ? v : [v];
  const where = Array.isArray(v) ? c.at('token') : null;
  if (list.length < 1 || list.length > MAX_TOKENS_PER_POOL) {
    c.add('token', `holds ${list.length} tokens; give one, or two while rotating (the old and the new)`);
    return [];
  }
  list.forEach((t, i) => {
    const add = (m: string) => (where ? where.add(i, m) : c.add('token', m));
    if (typeof t === 'string') { const p = tokenProblem(t); if (p) add(p); } else if (typeof t !== 'object' || t === null) {
      add(`must be a string or a secret (util.secret('name')), got ${describe(t)}`);
    }
  });
  if (list.length === 2 && typeof list[0] === 'string' && list[0] === list[1]) c.at('token').add(1, 'is the same token as token[0]; a rotation lists the old and the new token');
  return list;
}

export function normalisePool(raw: unknown, c: IssueCollector): WorkerPoolConfig | null {
  if (!isPlainObject(raw)) { c.here(`must be a worker pool (workerPool({ name, token })), got ${describe(raw)}`); return null; }
  knownKeys(c, raw, POOL_KEYS);
  const name = str(c, raw, 'name', { required: true, nonEmpty: true });
  if (name) { const problem = poolNameProblem('pool name', name); if (problem) c.add('name', problem.replace(/^pool name \S+ is not valid: /, 'is not a valid pool name: ')); }
  let tags: string[] = [];
  try { tags = checkTags(strList(c, raw, 'tags')); } catch (err) {
    if (!(err instanceof TagError)) throw err;
    c.add('tags', err.message.replace(/, e\.g\. --tags .*$/, ''));
  }
  return {
    name,
    tokens: tokens(c, raw),
    tags,
    maxWorkers: num(c, raw, 'maxWorkers', { fallback: DEFAULTS.poolMaxWorkers, min: 1, integer: true }),
    maxBuilds: numOrNull(c, raw, 'maxBuilds', { fallback: null, min: 1, integer: true }),
    properties: record(c, raw, 'properties'),
    forgetAfter: numOrNull(c, raw, 'forgetAfter', { fallback: DEFAULTS.poolForgetAfter, min: 0 }),
  };
}
