/**
 * Normalisation of number options straight from their declaration: the minimum, maximum, whole-number
 * rule and default a TypeScript config is held to are the ones the YAML schema publishes, so the two
 * forms cannot drift apart.
 */
import type { TObject, TProperties } from '@sinclair/typebox';
import { num, numOrNull, type Obj } from '../checks.js';
import type { IssueCollector } from '../errors.js';

interface NumberDeclaration { type?: string | string[]; minimum?: number; maximum?: number; default?: unknown }

/** Checks `obj[key]` for each key against its declaration in `schema`; returns the values with defaults filled. */
export function declaredNumbers<P extends TProperties, K extends keyof P & string>(c: IssueCollector, obj: Obj, schema: TObject<P>, keys: readonly K[]): Record<K, number | null> {
  const out = {} as Record<K, number | null>;
  for (const key of keys) {
    const d = schema.properties[key] as unknown as NumberDeclaration;
    const types = Array.isArray(d.type) ? d.type : [d.type];
    if (!types.includes('integer') && !types.includes('number')) throw new Error(`${key} is not declared as a number`);
    const rule = { min: d.minimum, max: d.maximum, integer: types.includes('integer') };
    const fallback = d.default as number | null;
    out[key] = types.includes('null') && d.maximum === undefined
      ? numOrNull(c, obj, key, { fallback, ...rule })
      : num(c, obj, key, { fallback: fallback ?? 0, ...rule });
  }
  return out;
}
