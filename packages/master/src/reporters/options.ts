/**
 * Option helpers every reporter kind uses: the options all reporters share (name, generators,
 * retryFor, concurrency), credentials that may be `util.secret('name')` (checked at config load,
 * rendered only when a report is sent, so a secret is never in the config object, a log or an
 * outbox row), and the checks with their messages.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe, isPlainObject, num, type Obj } from '../model/config-checks.js';
import { renderValue } from '../process/renderables.js';
import { isRenderable } from '../process/step-types.js';
import { Properties } from '../process/properties.js';
import type { ReporterContext } from './base.js';

/** Options of every reporter, besides its kind's own. */
export const COMMON_REPORTER_KEYS = ['kind', 'name', 'generators', 'retryFor', 'concurrency'] as const;

/** A literal string or a renderable standing for one (a secret). */
export type SecretOrString = string | { getRenderingFor(ctx: unknown): unknown };

export function isSecretLike(v: unknown): boolean {
  return (typeof v === 'string' && v.length > 0) || isRenderable(v);
}

/** Checks an optional credential: a non-empty string or util.secret('name'). */
export function checkSecret(c: IssueCollector, o: Obj, key: string, required = false): void {
  const v = o[key];
  if (v === undefined || v === null) { if (required) c.add(key, "is required (a string, or util.secret('name') to keep it out of the config)"); return; }
  if (!isSecretLike(v)) c.add(key, `must be a non-empty string or util.secret('name'), got ${describe(v)}`);
}

/** Checks an http(s) URL option. */
export function checkUrl(c: IssueCollector, o: Obj, key: string, required = true): void {
  const v = o[key];
  if (v === undefined) { if (required) c.add(key, 'is required (an http:// or https:// URL)'); return; }
  if (typeof v !== 'string') { c.add(key, `must be an http:// or https:// URL, got ${describe(v)}`); return; }
  let u: URL;
  try { u = new URL(v); } catch { c.add(key, `is not a valid URL: ${JSON.stringify(v)}; give an absolute http:// or https:// URL`); return; }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') c.add(key, `must use http:// or https://, got ${u.protocol}`);
  else if (u.username || u.password) c.add(key, "must not hold credentials (they would be shown in logs): use the reporter's auth or headers option");
}

/** Checks the options every reporter takes. */
export function checkCommon(c: IssueCollector, o: Obj): void {
  if (o.name !== undefined && (typeof o.name !== 'string' || !/^[A-Za-z0-9_.:@-]+$/.test(o.name))) {
    c.add('name', `must be a name of letters, digits and _.:@- (it names the reporter's queued reports), got ${describe(o.name)}`);
  }
  if (o.retryFor !== undefined) num(c, o, 'retryFor', { fallback: 0, min: 0 });
  if (o.concurrency !== undefined) num(c, o, 'concurrency', { fallback: 1, min: 1, integer: true });
  if (o.generators !== undefined && !Array.isArray(o.generators)) c.add('generators', `must be a list of generators (generators.buildStatus({...}), ...), got ${describe(o.generators)}`);
}

export function checkStringRecord(c: IssueCollector, o: Obj, key: string, secretsAllowed = true): void {
  const v = o[key];
  if (v === undefined || v === null) return;
  if (!isPlainObject(v)) { c.add(key, `must be a mapping of names to values, got ${describe(v)}`); return; }
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string' || (secretsAllowed && isRenderable(x))) continue;
    c.at(key).add(k, `must be a string${secretsAllowed ? " or util.secret('name')" : ''}, got ${describe(x)}`);
  }
}

/** Renders a value that may hold secrets (deeply); only secrets resolve: there are no build properties here. */
export async function renderSecrets<T>(value: T, ctx: Pick<ReporterContext, 'getSecret'>): Promise<T> {
  return renderValue(value, { properties: new Properties(), sourcestamps: [], workerInfo: {}, getSecret: (n) => ctx.getSecret(n) });
}
