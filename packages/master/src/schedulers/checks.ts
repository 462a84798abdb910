/**
 * Option names and checks several scheduler kinds share (the kinds are in their own files; the
 * options every scheduler has are checked by validate.ts before a kind's own checks run).
 */
import { Cron } from 'croner';
import type { IssueCollector } from '../model/config-errors.js';
import { bool, describe, fn, isPlainObject, knownKeys, numOrNull, optStr, type Obj } from '../model/config-checks.js';
import { FILTER_FIELDS, FILE_FILTER_FIELDS, checkFileFilterFields } from './change-filter.js';
import { cronExpression } from './cron.js';

/** The options of every scheduler; try-style schedulers have no overlap or unchangedCodebases. */
export const COMMON_KEYS = ['kind', 'name', 'builderNames', 'properties', 'codebases', 'priority', 'reason', 'overlap', 'concurrencyGroup', 'unchangedCodebases'];
export const TRY_COMMON_KEYS = ['kind', 'name', 'builderNames', 'properties', 'codebases', 'priority', 'reason'];
export const CRON_KEYS = ['cron', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'timeZone'];
export const CHANGE_BASED_KEYS = [...COMMON_KEYS, 'treeStableTimer', 'changeFilter', 'fileIsImportant', 'onlyImportant'];

/** The options of schedulers fed by changes (anyBranch, singleBranch). */
export function checkChangeBased(c: IssueCollector, raw: Obj, out: Obj): void {
  out.treeStableTimer = numOrNull(c, raw, 'treeStableTimer', { fallback: null, min: 0 });
  out.onlyImportant = bool(c, raw, 'onlyImportant', false);
  fn(c, raw, 'fileIsImportant');
  checkChangeFilter(c, raw);
}

/** A nightly-style schedule: a cron expression or Buildbot's fields, and an optional time zone. */
export function checkSchedule(c: IssueCollector, raw: Obj): void {
  const tz = optStr(c, raw, 'timeZone');
  if (tz) { try { new Intl.DateTimeFormat('en', { timeZone: tz }); } catch { c.add('timeZone', `unknown time zone ${JSON.stringify(tz)}; use an IANA name such as 'Europe/Berlin' or 'UTC'`); } }
  try {
    const expr = cronExpression(raw as any);
    new Cron(expr, { paused: true, timezone: tz ?? undefined }).stop();
  } catch (err) { c.add(raw.cron !== undefined ? 'cron' : '', `invalid schedule: ${(err as Error).message}`); }
}

/** A change filter: an object of field matchers (see change-filter.ts) or a function. */
export function checkChangeFilter(c: IssueCollector, raw: Obj): void {
  const f = raw.changeFilter;
  if (f === undefined || typeof f === 'function') return;
  if (!isPlainObject(f)) { c.add('changeFilter', `must be an object of ${[...FILTER_FIELDS, ...FILE_FILTER_FIELDS].join('/')} matchers or a function, got ${describe(f)}`); return; }
  const fc = c.at('changeFilter');
  knownKeys(fc, f, [...FILTER_FIELDS, ...FILE_FILTER_FIELDS]);
  checkFileFilterFields(fc, f);
  for (const field of FILTER_FIELDS) {
    const m = f[field];
    if (m === undefined || m === null || typeof m === 'string' || typeof m === 'function' || m instanceof RegExp) continue;
    if (Array.isArray(m) && m.every((x) => x === null || typeof x === 'string')) continue;
    fc.add(field, `must be a string, a list of strings, a RegExp or a function, got ${describe(m)}`);
  }
}
