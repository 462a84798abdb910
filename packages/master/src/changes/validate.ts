/** Checks a change-source spec and fills its defaults; every mistake is reported with its path. */
import type { IssueCollector } from '../config/errors.js';
import { bool, describe, isPlainObject, knownKeys, num, optStr, str } from '../config/checks.js';
import { GIT_POLLER_DEFAULTS, type ChangeSourceSpec } from './specs.js';
import { redactUrl } from './redact.js';

export const GIT_POLLER_KEYS = ['kind', 'repourl', 'branches', 'pollInterval', 'pollAtLaunch', 'workdir', 'name', 'project', 'category', 'codebase', 'gitTimeout', 'gitBin'];
export const CHANGE_SOURCE_KINDS = ['gitPoller'];

export function normaliseChangeSource(raw: unknown, c: IssueCollector): ChangeSourceSpec | null {
  if (!isPlainObject(raw)) { c.here(`must be a change source (changes.gitPoller({...})), got ${describe(raw)}`); return null; }
  if (raw.kind !== 'gitPoller') {
    c.add('kind', `unknown change source kind ${JSON.stringify(raw.kind)}; kinds are: ${CHANGE_SOURCE_KINDS.join(', ')}`);
    return null;
  }
  knownKeys(c, raw, GIT_POLLER_KEYS);
  const repourl = str(c, raw, 'repourl', { required: true, nonEmpty: true });
  const branches = raw.branches;
  if (branches !== undefined && branches !== true && typeof branches !== 'function') {
    if (!Array.isArray(branches) || !branches.every((b) => typeof b === 'string')) c.add('branches', `must be a list of branch names, true (all branches) or a function, got ${describe(branches)}`);
  }
  const workdir = optStr(c, raw, 'workdir');
  if (workdir && workdir.split(/[\\/]/).includes('..')) c.add('workdir', 'must stay inside the master directory (no ..)');
  return {
    kind: 'gitPoller',
    repourl,
    branches: (branches as ChangeSourceSpec['branches']) ?? [...GIT_POLLER_DEFAULTS.branches],
    pollInterval: num(c, raw, 'pollInterval', { fallback: GIT_POLLER_DEFAULTS.pollInterval, min: 0.01 }),
    pollAtLaunch: bool(c, raw, 'pollAtLaunch', GIT_POLLER_DEFAULTS.pollAtLaunch),
    workdir: workdir ?? undefined,
    name: optStr(c, raw, 'name') ?? redactUrl(repourl),
    project: optStr(c, raw, 'project') ?? GIT_POLLER_DEFAULTS.project,
    category: optStr(c, raw, 'category'),
    codebase: optStr(c, raw, 'codebase') ?? GIT_POLLER_DEFAULTS.codebase,
    gitTimeout: num(c, raw, 'gitTimeout', { fallback: GIT_POLLER_DEFAULTS.gitTimeout, min: 1 }),
    gitBin: optStr(c, raw, 'gitBin') ?? GIT_POLLER_DEFAULTS.gitBin,
  };
}

/** Change sources are identified by name: two pollers of one repository need distinct names. */
export function changeSourceName(spec: ChangeSourceSpec): string {
  return spec.name ?? redactUrl(spec.repourl);
}
