/**
 * Checks a scheduler spec inside the whole config (builder names must exist) and fills defaults.
 * Reports every mistake with its path; returns null when the spec cannot be used at all.
 */
import { isAbsolute, resolve } from 'node:path';
import { Cron } from 'croner';
import type { IssueCollector } from '../model/config-errors.js';
import { bool, describe, fn, isPlainObject, knownKeys, num, numOrNull, optStr, record, str, strList, unknownNameMessage, type Obj } from '../model/config-checks.js';
import { FILTER_FIELDS, FILE_FILTER_FIELDS, checkFileFilterFields } from './change-filter.js';
import { OVERLAP_POLICIES, type SchedulerSpec } from './specs.js';
import { resolveForceFields } from './force-fields.js';
import { cronExpression } from './cron.js';

const COMMON = ['kind', 'name', 'builderNames', 'properties', 'codebases', 'priority', 'reason', 'overlap', 'concurrencyGroup', 'unchangedCodebases'];
const TRY_COMMON = ['kind', 'name', 'builderNames', 'properties', 'codebases', 'priority', 'reason'];
const CRON_FIELDS = ['cron', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'timeZone'];
const CHANGE_BASED = [...COMMON, 'treeStableTimer', 'changeFilter', 'fileIsImportant', 'onlyImportant'];
export const SCHEDULER_OPTION_KEYS: Record<string, string[]> = {
  anyBranch: CHANGE_BASED,
  singleBranch: [...CHANGE_BASED, 'branch'],
  force: [...COMMON, 'username', 'parameters', 'buttonName', 'label'],
  triggerable: COMMON,
  periodic: [...COMMON, 'periodicBuildTimer', 'branch'],
  dependent: [...COMMON, 'upstream'],
  tryUserpass: ['kind', 'name', 'builderNames', 'properties', 'codebases', 'priority', 'reason', 'overlap', 'concurrencyGroup', 'port', 'host', 'userpass', 'maxRequestBytes'],
  upstream: [...COMMON, 'url', 'builder', 'codebase', 'pollInterval', 'auth', 'requestTimeout'],
  nightly: [...COMMON, ...CRON_FIELDS, 'onlyIfChanged', 'branch', 'changeFilter', 'fileIsImportant'],
  nightlyTriggerable: [...TRY_COMMON, ...CRON_FIELDS],
  tryJobdir: [...TRY_COMMON, 'jobdir', 'pollInterval', 'maxJobBytes'],
};

export const SCHEDULER_KINDS = Object.keys(SCHEDULER_OPTION_KEYS);

/** `masterDir` anchors relative paths (tryJobdir's jobdir); without it they stay relative to the working directory. */
export function normaliseScheduler(raw: unknown, c: IssueCollector, builderNames: ReadonlySet<string>, masterDir?: string): SchedulerSpec | null {
  if (!isPlainObject(raw)) { c.here(`must be a scheduler (schedulers.anyBranch({...}), ...), got ${describe(raw)}`); return null; }
  const kind = raw.kind;
  if (typeof kind !== 'string' || !SCHEDULER_KINDS.includes(kind)) {
    c.add('kind', `unknown scheduler kind ${JSON.stringify(kind)}; kinds are: ${SCHEDULER_KINDS.join(', ')}`);
    return null;
  }
  str(c, raw, 'name', { required: true, nonEmpty: true });
  const targets = strList(c, raw, 'builderNames', { required: true });
  targets.forEach((b, i) => { if (!builderNames.has(b)) c.at('builderNames').add(i, unknownNameMessage('builder', b, builderNames)); });
  knownKeys(c, raw, SCHEDULER_OPTION_KEYS[kind]!);
  const out: Obj = { ...raw, properties: record(c, raw, 'properties'), priority: num(c, raw, 'priority', { fallback: 0, integer: true }) };
  checkCodebases(c, raw);
  if (kind !== 'force') optStr(c, raw, 'reason');
  if (raw.overlap !== undefined && !OVERLAP_POLICIES.includes(raw.overlap as never)) c.add('overlap', `must be one of ${OVERLAP_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${describe(raw.overlap)}`);
  optStr(c, raw, 'concurrencyGroup');
  if (raw.unchangedCodebases !== undefined && raw.unchangedCodebases !== 'knownGood' && raw.unchangedCodebases !== 'head') c.add('unchangedCodebases', `must be 'knownGood' or 'head', got ${describe(raw.unchangedCodebases)}`);

  switch (kind) {
    case 'anyBranch':
    case 'singleBranch':
      out.treeStableTimer = numOrNull(c, raw, 'treeStableTimer', { fallback: null, min: 0 });
      out.onlyImportant = bool(c, raw, 'onlyImportant', false);
      fn(c, raw, 'fileIsImportant');
      checkChangeFilter(c, raw);
      if (kind === 'singleBranch') {
        if (raw.branch === undefined && raw.changeFilter === undefined) c.here("needs 'branch' (a branch name, or null for the default branch) or 'changeFilter'");
        else optStr(c, raw, 'branch');
      }
      break;
    case 'force':
      try { resolveForceFields(raw as any); } catch (err) { c.here((err as Error).message); }
      optStr(c, raw, 'buttonName'); optStr(c, raw, 'label');
      break;
    case 'triggerable':
      break;
    case 'dependent':
      str(c, raw, 'upstream', { required: true, nonEmpty: true });
      if (raw.upstream === raw.name) c.add('upstream', 'a dependent scheduler cannot follow itself; name another scheduler');
      break;
    case 'tryUserpass': {
      out.port = num(c, raw, 'port', { fallback: 0, min: 0, integer: true, required: true });
      optStr(c, raw, 'host');
      const up = raw.userpass;
      if (!Array.isArray(up) || !up.length || !up.every((p) => Array.isArray(p) && p.length === 2 && p.every((x) => typeof x === 'string' && x.length > 0))) {
        c.add('userpass', `must be a non-empty list of [username, password] pairs, got ${describe(up)}`);
      }
      if (raw.maxRequestBytes !== undefined) num(c, raw, 'maxRequestBytes', { fallback: 0, min: 1024, integer: true });
      break;
    }
    case 'upstream': {
      const url = str(c, raw, 'url', { required: true, nonEmpty: true });
      if (url) { try { const u = new URL(url); if (!/^https?:$/.test(u.protocol)) throw new Error(); } catch { c.add('url', `must be the http(s) URL of the upstream master's web server, e.g. 'http://ci.example.org:8010', got ${JSON.stringify(url)}`); } }
      str(c, raw, 'builder', { required: true, nonEmpty: true });
      optStr(c, raw, 'codebase');
      out.pollInterval = num(c, raw, 'pollInterval', { fallback: 30, min: 0.05 });
      out.requestTimeout = num(c, raw, 'requestTimeout', { fallback: 30, min: 0.1 });
      const a = raw.auth;
      if (a !== undefined && !(isPlainObject(a) && (typeof a.token === 'string' || (typeof a.username === 'string' && typeof a.password === 'string')))) {
        c.add('auth', `must be {username, password} or {token}, got ${describe(a)}`);
      }
      break;
    }
    case 'periodic':
      out.periodicBuildTimer = num(c, raw, 'periodicBuildTimer', { fallback: 3600, min: 1, required: true });
      optStr(c, raw, 'branch');
      break;
    case 'nightly':
      out.onlyIfChanged = bool(c, raw, 'onlyIfChanged', false);
      fn(c, raw, 'fileIsImportant');
      checkChangeFilter(c, raw);
      optStr(c, raw, 'branch');
      checkSchedule(c, raw);
      break;
    case 'nightlyTriggerable':
      checkSchedule(c, out);
      break;
    case 'tryJobdir': {
      const dir = str(c, raw, 'jobdir', { required: true, nonEmpty: true });
      if (dir) out.jobdir = isAbsolute(dir) || !masterDir ? dir : resolve(masterDir, dir);
      out.pollInterval = num(c, raw, 'pollInterval', { fallback: 10, min: 0.05 });
      out.maxJobBytes = num(c, raw, 'maxJobBytes', { fallback: 10 * 1024 * 1024, min: 1024, integer: true });
      break;
    }
  }
  return out as unknown as SchedulerSpec;
}

/** A nightly-style schedule: a cron expression or Buildbot's fields, and an optional time zone. */
function checkSchedule(c: IssueCollector, raw: Obj): void {
  const tz = optStr(c, raw, 'timeZone');
  if (tz) { try { new Intl.DateTimeFormat('en', { timeZone: tz }); } catch { c.add('timeZone', `unknown time zone ${JSON.stringify(tz)}; use an IANA name such as 'Europe/Berlin' or 'UTC'`); } }
  try {
    const expr = cronExpression(raw as any);
    new Cron(expr, { paused: true, timezone: tz ?? undefined }).stop();
  } catch (err) { c.add(raw.cron !== undefined ? 'cron' : '', `invalid schedule: ${(err as Error).message}`); }
}

function checkCodebases(c: IssueCollector, raw: Obj): void {
  const v = raw.codebases;
  if (v === undefined || raw.kind === 'force') return;
  if (Array.isArray(v)) { strList(c, raw, 'codebases'); return; }
  if (!isPlainObject(v)) { c.add('codebases', `must be a list of codebase names or an object of codebase -> {repository, branch, revision, project}, got ${describe(v)}`); return; }
  for (const [name, d] of Object.entries(v)) {
    if (!isPlainObject(d)) { c.at('codebases').add(name, `must be an object {repository, branch, revision, project}, got ${describe(d)}`); continue; }
    knownKeys(c.at('codebases').at(name), d, ['repository', 'branch', 'revision', 'project']);
  }
}

function checkChangeFilter(c: IssueCollector, raw: Obj): void {
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
