/**
 * Change filters, Buildbot's ChangeFilter: a change passes when every given field matches. A field
 * matcher is an exact value, a list of values, a RegExp, or a predicate; `null` matches only changes
 * without the field (e.g. `branch: null` is the default branch of old VCSes).
 *
 * Two fields look at the change's file paths (./file-globs.ts has the glob syntax):
 *  - `files`: at least one changed file matches ("anything under src/ changed");
 *  - `onlyFiles`: every changed file matches ("a docs-only change").
 * A change that lists no files matches neither. Patterns starting with `!` exclude:
 * `files: ['!docs/**']` = "some file outside docs/ changed" (a code scheduler that skips docs-only pushes).
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe } from '../model/config-checks.js';
import { compileFileMatcher, GlobError, type FileMatcher, type PathPredicate } from './file-globs.js';

export type { FileMatcher };
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
  /** At least one changed file matches: glob(s) such as 'src/**' or ['*.c', '!vendor/**'], a RegExp, or (path) => boolean. */
  files?: FileMatcher;
  /** Every changed file matches (and there is at least one): e.g. onlyFiles: ['docs/**', '*.md'] for docs-only changes. */
  onlyFiles?: FileMatcher;
}

/** The filter a scheduler option takes: fields, or a whole-change predicate. */
export type ChangeFilterSpec = ChangeFilterFields | ((change: ChangeLike) => boolean);

export const FILTER_FIELDS = ['project', 'repository', 'branch', 'category', 'codebase'] as const;
/** The fields matched against the change's file paths. */
export const FILE_FILTER_FIELDS = ['files', 'onlyFiles'] as const;

export function fieldMatches(matcher: FieldMatcher, value: string | null | undefined): boolean {
  const v = value ?? null;
  if (typeof matcher === 'function') return Boolean(matcher(v));
  if (matcher instanceof RegExp) return v !== null && matcher.test(v);
  if (Array.isArray(matcher)) return matcher.includes(v);
  return matcher === v;
}

// File matchers compiled once per filter object (globs become linear-time predicates), not once per change.
const compiledFiles = new WeakMap<ChangeFilterFields, { any: PathPredicate | null; all: PathPredicate | null }>();

function fileMatchers(filter: ChangeFilterFields) {
  let m = compiledFiles.get(filter);
  if (!m) {
    m = {
      any: filter.files === undefined ? null : compileFileMatcher(filter.files),
      all: filter.onlyFiles === undefined ? null : compileFileMatcher(filter.onlyFiles),
    };
    compiledFiles.set(filter, m);
  }
  return m;
}

export function changeMatches(filter: ChangeFilterSpec | null | undefined, change: ChangeLike): boolean {
  if (!filter) return true;
  if (typeof filter === 'function') return Boolean(filter(change));
  for (const field of FILTER_FIELDS) {
    const matcher = filter[field];
    if (matcher !== undefined && !fieldMatches(matcher, change[field] ?? null)) return false;
  }
  if (filter.files === undefined && filter.onlyFiles === undefined) return true;
  const files = change.files ?? [];
  const { any, all } = fileMatchers(filter);
  if (any && !files.some(any)) return false;
  if (all && (files.length === 0 || !files.every(all))) return false;
  return true;
}

/** A matcher read from YAML: `{ regex: '...' }` becomes a RegExp. */
export function isRegexObject(x: unknown): x is { regex: string; flags?: string } {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && typeof (x as any).regex === 'string';
}

/** Checks `files` / `onlyFiles` of a filter object (collector rooted at the filter), with the path of each bad glob. */
export function checkFileFilterFields(c: IssueCollector, filter: Record<string, unknown>): void {
  for (const field of FILE_FILTER_FIELDS) {
    const m = filter[field];
    if (m === undefined || typeof m === 'function' || m instanceof RegExp) continue;
    const items = typeof m === 'string' ? [m] : Array.isArray(m) ? m : null;
    if (!items) { c.add(field, `must be a glob ('docs/**'), a list of globs (['src/**', '!src/vendor/**']), a RegExp or a function (path) => boolean, got ${describe(m)}`); continue; }
    if (Array.isArray(m) && m.length === 0) { c.add(field, 'must not be an empty list (it would match no change)'); continue; }
    items.forEach((item, i) => {
      const where = (msg: string) => (Array.isArray(m) ? c.at(field).add(i, msg) : c.add(field, msg));
      if (item instanceof RegExp) return;
      if (typeof item !== 'string') { where(`must be a glob string or a RegExp, got ${describe(item)}`); return; }
      try { compileFileMatcher(item); } catch (err) { if (err instanceof GlobError) where(err.message); else throw err; }
    });
  }
}
