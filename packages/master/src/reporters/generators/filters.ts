/**
 * What the build generators share (Buildbot's BuildStatusGeneratorMixin,
 * reporters/generators/utils.py): the modes that decide by result which builds are reported, the
 * filters by builder, tag, branch and scheduler, and the checks of those options.
 *
 * Modes, as in Buildbot: `all` (= failing, passing, warnings, exception, cancelled), `failing`,
 * `passing`, `problem` (a failure after a build that did not fail), `warnings` (= failing + warnings),
 * `exception`, `cancelled`, `change` (the result differs from the previous build's). `problem` and
 * `change` compare with the previous build of the same builder AND branch (Buildbot compares with
 * the previous build number only): a failing feature branch does not make main "restored".
 */
import { Results } from '../../model/results.js';
import type { IssueCollector } from '../../model/config-errors.js';
import { describe, isPlainObject, num, type Obj } from '../../model/config-checks.js';
import type { BuildDetails } from '../build-details.js';
import { MESSAGE_FORMATTER_KEYS, MESSAGE_TYPES, templateIssue, type MessageFormatterOptions } from '../message/formatter.js';
import type { BuildMessageContext } from '../message/context.js';

export const BUILD_MODES = ['all', 'failing', 'passing', 'problem', 'warnings', 'exception', 'cancelled', 'change'] as const;
export type BuildMode = (typeof BUILD_MODES)[number];

/** The filter options every build generator takes. */
export interface BuildFilterOptions {
  /** Only builds of these builders (names). Default: all. Not together with `tags`. */
  builders?: string[] | null;
  /** Only builds of builders with one of these tags. Default: all. */
  tags?: string[] | null;
  /** Only builds whose `branch` property is one of these. Default: all. */
  branches?: string[] | null;
  /** Only builds whose `scheduler` property is one of these. Default: all. */
  schedulers?: string[] | null;
}

export const FILTER_KEYS = ['builders', 'tags', 'branches', 'schedulers'] as const;

/** Buildbot's _compute_shortcut_modes. */
export function expandModes(mode: BuildMode | readonly BuildMode[]): string[] {
  if (typeof mode === 'string') {
    if (mode === 'all') return ['failing', 'passing', 'warnings', 'exception', 'cancelled'];
    if (mode === 'warnings') return ['failing', 'warnings'];
    return [mode];
  }
  return [...mode];
}

/** Buildbot's default mode of BuildStatusGenerator. */
export const DEFAULT_MODES: readonly BuildMode[] = ['failing', 'passing', 'warnings'];

export function wantsPreviousBuild(modes: readonly string[]): boolean {
  return modes.includes('change') || modes.includes('problem');
}

/** Buildbot's is_message_needed_by_props. */
export function neededByProps(f: BuildFilterOptions, build: BuildDetails): boolean {
  const prop = (name: string) => build.properties?.[name]?.[0];
  if (f.builders && !f.builders.includes(build.builder.name)) return false;
  if (f.schedulers && !f.schedulers.includes(prop('scheduler') as string)) return false;
  if (f.branches && !f.branches.includes(prop('branch') as string)) return false;
  if (f.tags && !f.tags.some((t) => build.builder.tags.includes(t))) return false;
  return true;
}

/** Buildbot's is_message_needed_by_results. */
export function neededByResults(modes: readonly string[], build: BuildDetails): boolean {
  const results = build.results;
  const prev = build.prev_build ?? null;
  if (modes.includes('change') && prev && prev.results !== results) return true;
  if (modes.includes('failing') && results === Results.FAILURE) return true;
  if (modes.includes('passing') && results === Results.SUCCESS) return true;
  if (modes.includes('problem') && results === Results.FAILURE && prev && prev.results !== Results.FAILURE) return true;
  if (modes.includes('warnings') && results === Results.WARNINGS) return true;
  if (modes.includes('exception') && results === Results.EXCEPTION) return true;
  if (modes.includes('cancelled') && results === Results.CANCELLED) return true;
  return false;
}

/** What option checks may look up in the rest of the config. */
export interface CheckContext {
  builderNames: ReadonlySet<string>;
  workerNames: ReadonlySet<string>;
}

const listOrNull = (c: IssueCollector, o: Obj, key: string): boolean => {
  const v = o[key];
  if (v === undefined || v === null) return false;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) { c.add(key, `must be a list of names or null, got ${describe(v)}`); return false; }
  return true;
};

/** Checks `mode` (one mode, or a list without 'all') as Buildbot's _verify_build_generator_mode does. */
export function checkMode(c: IssueCollector, o: Obj, key = 'mode'): void {
  const v = o[key];
  if (v === undefined) return;
  const known = BUILD_MODES.join(', ');
  if (typeof v === 'string') {
    if (!(BUILD_MODES as readonly string[]).includes(v)) c.add(key, `unknown mode ${JSON.stringify(v)}; modes are: ${known}`);
    return;
  }
  if (!Array.isArray(v)) { c.add(key, `must be a mode or a list of modes (${known}), got ${describe(v)}`); return; }
  v.forEach((m, i) => {
    if (m === 'all') c.at(key).add(i, "'all' stands alone: give mode: 'all' rather than a list holding it");
    else if (typeof m !== 'string' || !(BUILD_MODES as readonly string[]).includes(m)) c.at(key).add(i, `unknown mode ${describe(m)}; modes are: ${known}`);
  });
}

/** Checks the filter options; unknown builder names are an error (a typo would silence the reporter). */
export function checkFilters(c: IssueCollector, o: Obj, ctx: CheckContext): void {
  for (const key of FILTER_KEYS) listOrNull(c, o, key);
  if (Array.isArray(o.builders) && Array.isArray(o.tags)) c.add('tags', 'give builders or tags, not both (as in Buildbot)');
  if (Array.isArray(o.builders)) {
    (o.builders as unknown[]).forEach((b, i) => {
      if (typeof b === 'string' && !ctx.builderNames.has(b)) c.at('builders').add(i, `unknown builder '${b}'; builders are: ${[...ctx.builderNames].join(', ') || '(none)'}`);
    });
  }
}

/** Checks a `messageFormatter` option (and a `subject` given on the generator, as Buildbot allowed). */
export function checkFormatter(c: IssueCollector, o: Obj, key = 'messageFormatter'): void {
  const f = o[key];
  if (f === undefined || f === null) return;
  if (!isPlainObject(f)) { c.add(key, `must be { template, subject, templateType }, got ${describe(f)}`); return; }
  const fc = c.at(key);
  for (const k of Object.keys(f)) if (!(MESSAGE_FORMATTER_KEYS as readonly string[]).includes(k)) fc.add(k, `unknown option; options are: ${MESSAGE_FORMATTER_KEYS.join(', ')}`);
  for (const k of ['template', 'subject']) {
    if (f[k] === undefined) continue;
    const issue = templateIssue(f[k]);
    if (issue) fc.add(k, issue);
  }
  if (f.templateType !== undefined && !(MESSAGE_TYPES as readonly string[]).includes(f.templateType as string)) fc.add('templateType', `must be one of ${MESSAGE_TYPES.join(', ')}, got ${describe(f.templateType)}`);
  if (f.logTailLines !== undefined && (!Number.isInteger(f.logTailLines) || (f.logTailLines as number) < 0)) fc.add('logTailLines', `must be a whole number >= 0, got ${describe(f.logTailLines)}`);
}

/** `addLogs`: true, false, or a list of log names (`stdio`, or `step.log`). */
export function checkAddLogs(c: IssueCollector, o: Obj): void {
  const v = o.addLogs;
  if (v === undefined || typeof v === 'boolean') return;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) c.add('addLogs', `must be true, false or a list of log names ('stdio', 'compile.stdio'), got ${describe(v)}`);
}

export function checkSubject(c: IssueCollector, o: Obj): void {
  if (o.subject === undefined) return;
  const issue = templateIssue(o.subject);
  if (issue) c.add('subject', issue);
  else if (typeof o.subject === 'string' && /[\r\n]/.test(o.subject)) c.add('subject', 'must be one line (as in Buildbot): remove the newline');
}

/** Options of the generators that select builds by result (buildStatus, buildSetStatus). */
export interface ResultGeneratorOptions extends BuildFilterOptions {
  /** Which results are reported (see the modes above). Default ['failing', 'passing', 'warnings'], as Buildbot's. */
  mode?: BuildMode | BuildMode[];
  /** The subject line; default `Buildbot %(result)s in %(title)s on %(builder)s`. Prefer messageFormatter.subject. */
  subject?: string;
  messageFormatter?: MessageFormatterOptions<BuildMessageContext>;
  /** Attach logs: true (all), false (default) or names (`stdio`, `compile.stdio`). */
  addLogs?: boolean | string[];
  /** Bytes of each attached log kept, from its end. Default 1 MiB. */
  maxLogSize?: number;
}

export const RESULT_GENERATOR_KEYS = ['mode', ...FILTER_KEYS, 'subject', 'messageFormatter', 'addLogs', 'maxLogSize'] as const;

/** Bytes of each attached log kept (its end) by default: a mail relay takes a few MiB at most. */
export const DEFAULT_MAX_LOG_SIZE = 1024 * 1024;

export function checkResultGenerator(c: IssueCollector, o: Obj, ctx: CheckContext): void {
  checkMode(c, o);
  checkFilters(c, o, ctx);
  checkSubject(c, o);
  checkFormatter(c, o);
  checkAddLogs(c, o);
  if (o.maxLogSize !== undefined) num(c, o, 'maxLogSize', { fallback: DEFAULT_MAX_LOG_SIZE, min: 1024, integer: true });
}
