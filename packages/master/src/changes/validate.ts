/**
 * Checks a change-source spec and fills its defaults through its kind (registry.ts): an unknown
 * kind or option, and every mistake the kind finds, is reported with its path.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe, isPlainObject, knownKeys } from '../model/config-checks.js';
import { CHANGE_SOURCE_KIND_NAMES, changeSourceKindOf, type ChangeSourceSpec } from './registry.js';

export function normaliseChangeSource(raw: unknown, c: IssueCollector): ChangeSourceSpec | null {
  if (!isPlainObject(raw)) {
    c.here(`must be a change source (${CHANGE_SOURCE_KIND_NAMES.map((k) => `changes.${k}({...})`).join(', ')}), got ${describe(raw)}`);
    return null;
  }
  const kind = changeSourceKindOf(raw.kind);
  if (!kind) {
    c.add('kind', `unknown change source kind ${JSON.stringify(raw.kind)}; kinds are: ${CHANGE_SOURCE_KIND_NAMES.join(', ')}`);
    return null;
  }
  knownKeys(c, raw, kind.keys);
  return kind.normalise(raw, c);
}

/** Change sources are identified by name: two pollers of one repository need distinct names. */
export function changeSourceName(spec: ChangeSourceSpec): string {
  return changeSourceKindOf(spec.kind)!.name(spec);
}
