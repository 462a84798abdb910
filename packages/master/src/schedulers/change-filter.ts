/**
 * Change filters, Buildbot's ChangeFilter: a change passes when every given field matches. A field
 * matcher is an exact value, a list of values, a RegExp, or a predicate; `null` matches only changes
 * without the field (e.g. `branch: null` is the default branch of old VCSes).
 */
export type FieldMatcher = string | null | readonly (string | null)[] | RegExp | ((value: string | null) => boolean);

/** The fields filters and fileIsImportant see (a change as the data API shapes it). */
export interface ChangeLike {
  changeid?: number; project?: string | null; repository?: string | null; branch?: string | null;
  category?: string | null; codebase?: string | null; files?: readonly string[]; author?: string;
  comments?: string; revision?: string | null; properties?: Record<string, unknown>;
}

export interface ChangeFilterFields {
  project?: FieldMatcher;
  repository?: FieldMatcher;
  branch?: FieldMatcher;
  category?: FieldMatcher;
  codebase?: FieldMatcher;
}

/** The filter a scheduler option takes: fields, or a whole-change predicate. */
export type ChangeFilterSpec = ChangeFilterFields | ((change: ChangeLike) => boolean);

export const FILTER_FIELDS = ['project', 'repository', 'branch', 'category', 'codebase'] as const;

export function fieldMatches(matcher: FieldMatcher, value: string | null | undefined): boolean {
  const v = value ?? null;
  if (typeof matcher === 'function') return Boolean(matcher(v));
  if (matcher instanceof RegExp) return v !== null && matcher.test(v);
  if (Array.isArray(matcher)) return matcher.includes(v);
  return matcher === v;
}

export function changeMatches(filter: ChangeFilterSpec | null | undefined, change: ChangeLike): boolean {
  if (!filter) return true;
  if (typeof filter === 'function') return Boolean(filter(change));
  for (const field of FILTER_FIELDS) {
    const matcher = filter[field];
    if (matcher !== undefined && !fieldMatches(matcher, change[field] ?? null)) return false;
  }
  return true;
}

/** A matcher read from YAML: `{ regex: '...' }` becomes a RegExp. */
export function isRegexObject(x: unknown): x is { regex: string; flags?: string } {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && typeof (x as any).regex === 'string';
}
