/**
 * Checks a scheduler spec inside the whole config (builder names must exist) and fills defaults:
 * the options every scheduler shares here, then the kind's own (its `check`, registry.ts).
 * Reports every mistake with its path; returns null when the spec cannot be used at all.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe, isPlainObject, knownKeys, num, optStr, record, str, strList, unknownNameMessage, type Obj } from '../model/config-checks.js';
import { OVERLAP_POLICIES } from './specs.js';
import { SCHEDULER_KINDS, SCHEDULER_KIND_NAMES, schedulerKindOf, type SchedulerSpec } from './registry.js';

/** The option names of every kind (the schema test compares the published schema with them). */
export const SCHEDULER_OPTION_KEYS: Record<string, readonly string[]> = Object.fromEntries(SCHEDULER_KIND_NAMES.map((k) => [k, SCHEDULER_KINDS[k].keys]));

/** `masterDir` anchors relative paths (tryJobdir's jobdir); without it they stay relative to the working directory. */
export function normaliseScheduler(raw: unknown, c: IssueCollector, builderNames: ReadonlySet<string>, masterDir?: string): SchedulerSpec | null {
  if (!isPlainObject(raw)) { c.here(`must be a scheduler (schedulers.anyBranch({...}), ...), got ${describe(raw)}`); return null; }
  const kind = raw.kind;
  const schedulerKind = schedulerKindOf(kind);
  if (!schedulerKind) {
    c.add('kind', `unknown scheduler kind ${JSON.stringify(kind)}; kinds are: ${SCHEDULER_KIND_NAMES.join(', ')}`);
    return null;
  }
  str(c, raw, 'name', { required: true, nonEmpty: true });
  const targets = strList(c, raw, 'builderNames', { required: true });
  targets.forEach((b, i) => { if (!builderNames.has(b)) c.at('builderNames').add(i, unknownNameMessage('builder', b, builderNames)); });
  knownKeys(c, raw, schedulerKind.keys);
  const out: Obj = { ...raw, properties: record(c, raw, 'properties'), priority: num(c, raw, 'priority', { fallback: 0, integer: true }) };
  checkCodebases(c, raw);
  if (kind !== 'force') optStr(c, raw, 'reason');
  if (raw.overlap !== undefined && !OVERLAP_POLICIES.includes(raw.overlap as never)) c.add('overlap', `must be one of ${OVERLAP_POLICIES.map((p) => `'${p}'`).join(', ')}, got ${describe(raw.overlap)}`);
  optStr(c, raw, 'concurrencyGroup');
  if (raw.unchangedCodebases !== undefined && raw.unchangedCodebases !== 'knownGood' && raw.unchangedCodebases !== 'head') c.add('unchangedCodebases', `must be 'knownGood' or 'head', got ${describe(raw.unchangedCodebases)}`);

  schedulerKind.check(c, raw, out, { masterDir });
  return out as unknown as SchedulerSpec;
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
