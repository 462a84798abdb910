/**
 * Normalisation of number options straight from their declaration: the minimum, maximum, whole-number
 * rule and default a TypeScript config is held to are the ones the YAML schema publishes, so the two
 * forms cannot drift apart.
 */
import type { TObject, TProperties } from '@sinclair/typebox';
import { num, type Obj } from '../model/config-checks.js';
import type { IssueCollector } from '../model/config-errors.js';

interface NumberDeclaration { type?: string | string[]; minimum?: number; maximum?: number; default?: unknown }

/** Checks `obj[key]` for each key against its declaration in `schema`; returns the values with defaults filled. */
export function declaredNumbers<P extends TProperties, K extends keyof P & string>(c: IssueCollector, obj: Obj, schema: TObject<P>, keys: readonly K[]): Record<K, number | null> {
  const out = {} as Record<K, number | null>;
  for (const key of keys) {
    const d = schema.properties[key] as unknown as NumberDeclaration;
    const types = Array.isArray(d.type) ? d.type : [d.type];
    if (!types.includes('integer') && !types.includes('number')) throw new Error(`${key} is not declared as a number`);
    const fallback = (d.default ?? null) as number | null;
    if (obj[key] === undefined) { out[key] = fallback; continue; }
    // null is a value only where the declaration allows it (e.g. logMaxSize: null = unlimited).
    if (obj[key] === null && types.includes('null')) { out[key] = null; continue; }
    out[key] = num(c, obj, key, { fallback: fallback ?? 0, min: d.minimum, max: d.maximum, integer: types.includes('integer') });
  }
  return out;
}
