/**
 * Normalising the latent items of the config's `workers` list (types.ts documents each option):
 * `latent({ name, provider })`, `latentPool({ name, provider, max })`, and a provider given a name,
 * which is a latent worker itself (`latent.docker({ name, image })`, as Buildbot's
 * DockerLatentWorker takes its options). A plain object works too (YAML, a `.js` config without the
 * helpers): with `provider` it is a latent pool when it has `max` or `min`, else a latent worker.
 *
 * A provider's options are checked against its kind's declarations (workers/latent/registry.ts).
 */
import { TagError, checkTags, poolNameProblem } from 'mastro-protocol';
import { COMMON_PROVIDER_OPTIONS, LATENT_PROVIDER_KINDS, type OptionDecl } from '../workers/latent/registry.js';
import { parseMasterAddress } from '../workers/latent/environment.js';
import { kindOf } from '../model/config-brand.js';
import { describe, isPlainObject, knownKeys, num, numOrNull, record, str, strList, type Obj } from '../model/config-checks.js';
import { DEFAULTS } from './defaults.js';
import type { IssueCollector } from '../model/config-errors.js';
import type { LatentPoolConfig, LatentProviderSpec, LatentWorkerConfig } from './types.js';

const COMMON_KEYS = ['name', 'provider', 'idleTimeout', 'startTimeout', 'tags', 'maxBuilds', 'properties', 'failureBackoff'];
export const LATENT_WORKER_KEYS = [...COMMON_KEYS, 'password'];
export const LATENT_POOL_KEYS = [...COMMON_KEYS, 'min', 'max'];

export type LatentItem = 'latentWorker' | 'latentPool' | null;

/** Which latent item a `workers` entry is, or null when it is a named worker or a worker pool. */
export function latentItemKind(raw: unknown): LatentItem {
  const k = kindOf(raw);
  if (k === 'latentWorker' || k === 'latentPool') return k;
  if (k === 'latentProvider') return 'latentWorker';
  if (k !== undefined || !isPlainObject(raw)) return null;
  if (!('provider' in raw)) return null;
  return 'min' in raw || 'max' in raw ? 'latentPool' : 'latentWorker';
}

/** A provider used as a worker (`latent.docker({ name, ... })`): its latent-worker keys and its provider's. */
function split(raw: Obj): Obj {
  if (kindOf(raw) !== 'latentProvider') return raw;
  const worker: Obj = {};
  const provider: Obj = {};
  for (const [k, v] of Object.entries(raw)) (LATENT_WORKER_KEYS.includes(k) && k !== 'provider' ? worker : provider)[k] = v;
  return { ...worker, provider };
}

function tags(c: IssueCollector, raw: Obj): string[] {
  try { return checkTags(strList(c, raw, 'tags')); } catch (err) {
    if (!(err instanceof TagError)) throw err;
    c.add('tags', `${err.message.replace(/, e\.g\. --tags .*$/, '')}${/reports itself/.test(err.message) ? ' (its provider gives the os= it knows: latent.docker os=linux, latent.local this host\'s, latent.command its os/arch options)' : ''}`);
    return [];
  }
}

function common(c: IssueCollector, raw: Obj, provider: LatentProviderSpec | null) {
  const fb = isPlainObject(raw.failureBackoff) ? raw.failureBackoff : {};
  if (raw.failureBackoff !== undefined && !isPlainObject(raw.failureBackoff)) c.add('failureBackoff', `must be an object { initial, max } (seconds), got ${describe(raw.failureBackoff)}`);
  const fc = c.at('failureBackoff');
  knownKeys(fc, fb, ['initial', 'max']);
  const initial = num(fc, fb, 'initial', { fallback: DEFAULTS.latentBackoffInitial, min: 0.001 });
  const max = num(fc, fb, 'max', { fallback: Math.max(initial, DEFAULTS.latentBackoffMax), min: 0.001 });
  if (max < initial) fc.add('max', `must be at least initial (${initial}), got ${max}`);
  const idleDefault = provider?.kind === 'docker' ? DEFAULTS.latentDockerIdleTimeout : DEFAULTS.latentIdleTimeout;
  return {
    provider: provider ?? ({ kind: 'local' } as LatentProviderSpec),
    idleTimeout: numOrNull(c, raw, 'idleTimeout', { fallback: idleDefault, min: 0 }),
    startTimeout: num(c, raw, 'startTimeout', { fallback: DEFAULTS.latentStartTimeout, min: 1 }),
    tags: tags(c, raw),
    maxBuilds: numOrNull(c, raw, 'maxBuilds', { fallback: null, min: 1, integer: true }),
    properties: record(c, raw, 'properties'),
    failureBackoff: { initial, max },
  };
}

export function normaliseLatentWorker(item: unknown, c: IssueCollector): LatentWorkerConfig | null {
  if (!isPlainObject(item)) { c.here(`must be a latent worker (latent({ name, provider })), got ${describe(item)}`); return null; }
  const raw = split(item);
  knownKeys(c, raw, LATENT_WORKER_KEYS);
  const name = str(c, raw, 'name', { required: true, nonEmpty: true });
  if (name && !/^[A-Za-z0-9_.\-]+$/.test(name)) c.add('name', `may contain only letters, digits, '_', '.' and '-', got ${JSON.stringify(name)}`);
  const password = raw.password ?? null;
  if (password === '') c.add('password', "must not be empty; leave it out and the master makes one (from its latent.key)");
  else if (password !== null && typeof password !== 'string' && typeof password !== 'object') c.add('password', `must be a string or a secret (util.secret('name')), got ${describe(password)}`);
  const provider = normaliseProvider(raw.provider, c.at('provider'));
  return { name, password, ...common(c, raw, provider) };
}

export function normaliseLatentPool(item: unknown, c: IssueCollector): LatentPoolConfig | null {
  if (!isPlainObject(item)) { c.here(`must be a latent pool (latentPool({ name, provider, max })), got ${describe(item)}`); return null; }
  knownKeys(c, item, LATENT_POOL_KEYS);
  const name = str(c, item, 'name', { required: true, nonEmpty: true });
  if (name) { const problem = poolNameProblem('pool name', name); if (problem) c.add('name', problem.replace(/^pool name \S+ is not valid: /, 'is not a valid pool name: ')); }
  const max = num(c, item, 'max', { fallback: 1, min: 1, integer: true, required: true });
  const min = num(c, item, 'min', { fallback: 0, min: 0, integer: true });
  if (min > max) c.add('min', `must be at most max (${max}), got ${min}`);
  const provider = normaliseProvider(item.provider, c.at('provider'));
  return { name, min: Math.min(min, max), max, ...common(c, item, provider) };
}

/** A provider spec (`latent.docker({...})`, or `{ kind: 'docker', ... }`) with its kind's defaults filled in. */
export function normaliseProvider(raw: unknown, c: IssueCollector): LatentProviderSpec | null {
  const kinds = Object.keys(LATENT_PROVIDER_KINDS);
  if (!isPlainObject(raw)) { c.here(`is required: latent.${kinds.join('({...}), latent.')}({...}), got ${describe(raw)}`); return null; }
  const kindName = raw.kind;
  const kind = typeof kindName === 'string' && Object.hasOwn(LATENT_PROVIDER_KINDS, kindName) ? LATENT_PROVIDER_KINDS[kindName] : undefined;
  if (!kind) { c.add('kind', `${JSON.stringify(kindName)} is no latent worker provider; providers are: ${kinds.join(', ')}`); return null; }
  const decls: Record<string, OptionDecl> = { ...COMMON_PROVIDER_OPTIONS, ...kind.options };
  const inner = Object.fromEntries(Object.entries(raw).filter(([k]) => k !== 'kind'));
  for (const k of Object.keys(inner)) {
    if (LATENT_WORKER_KEYS.includes(k) && !(k in decls)) c.add(k, `belongs to the latent worker, not its provider: latent({ ${k}, provider: latent.${kindName}({...}) })`);
  }
  knownKeys(c, Object.fromEntries(Object.entries(inner).filter(([k]) => !LATENT_WORKER_KEYS.includes(k))), Object.keys(decls));
  const spec: Obj = { kind: kindName };
  for (const [key, d] of Object.entries(decls)) {
    const v = option(c, inner, key, d);
    if (v !== undefined) spec[key] = v;
  }
  for (const p of kind.check?.(spec as never) ?? []) c.add(p.key, p.message);
  if (typeof spec.masterAddress === 'string') {
    try { parseMasterAddress(spec.masterAddress, 1); } catch (err) { c.add('masterAddress', (err as Error).message.replace(/^masterAddress "[^"]*":? /, '')); }
  }
  return spec as unknown as LatentProviderSpec;
}

/** One declared option: checked, or its default. */
function option(c: IssueCollector, raw: Obj, key: string, d: OptionDecl): unknown {
  const v = raw[key];
  if (v === undefined) {
    if (d.required) c.add(key, `is required: ${d.doc}`);
    return d.default ?? (d.nullable ? null : undefined);
  }
  if (v === null && d.nullable) return null;
  switch (d.type) {
    case 'string':
      if (typeof v !== 'string' || v === '') { c.add(key, `must be a non-empty string${d.nullable ? ' or null' : ''}, got ${describe(v)}`); return d.default; }
      return v;
    case 'number':
      return num(c, raw, key, { fallback: (d.default as number | undefined) ?? 0, min: d.min });
    case 'strings':
      return strList(c, raw, key);
    case 'env': {
      if (!isPlainObject(v)) { c.add(key, `must be an object of NAME: 'value', got ${describe(v)}`); return {}; }
      for (const [k, x] of Object.entries(v)) if (typeof x !== 'string') c.at(key).add(k, `must be a string, got ${describe(x)}`);
      return { ...v };
    }
    case 'object':
      if (!isPlainObject(v)) { c.add(key, `must be an object${d.nullable ? ' or null' : ''}, got ${describe(v)}`); return d.default; }
      return { ...v };
    case 'command':
      if (typeof v === 'string' && v.trim() !== '') return v;
      if (Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string')) return [...v];
      c.add(key, `must be a command: a string (run by the shell) or a non-empty list of strings (program and arguments), got ${describe(v)}`);
      return d.default;
  }
}
