/**
 * The `base` change hook dialect, field for field as Buildbot's (buildbot/www/hooks/base.py):
 * author (or who), committer, files (JSON list), comments, revision, when_timestamp (or when),
 * branch, category, revlink, properties (JSON object), repository, project, codebase.
 */
import type { AddChangeInput } from '../../data/updates-api.js';
import { HookInputError, type FieldSource } from './types.js';

function json<T>(name: string, raw: string | undefined, check: (v: unknown) => boolean, dflt: T, expect: string): T {
  if (!raw) return dflt;
  let v: unknown;
  try { v = JSON.parse(raw); } catch { throw new HookInputError(`field ${name} must be JSON (${expect}), got ${JSON.stringify(raw.slice(0, 80))}`); }
  if (!check(v)) throw new HookInputError(`field ${name} must be ${expect}`);
  return v as T;
}

/** Turns one request into one change; throws HookInputError for bad input. */
export function readBaseHook(req: FieldSource): AddChangeInput {
  const f = (name: string) => req.field(name);
  const author = f('author') || f('who');
  if (!author) throw new HookInputError('field author (or who) is required');
  const when = f('when_timestamp') ?? f('when');
  let when_timestamp: number | undefined;
  if (when !== undefined && when !== '') {
    when_timestamp = Number(when);
    if (!Number.isFinite(when_timestamp)) throw new HookInputError(`field when_timestamp must be a number of seconds since the epoch, got ${JSON.stringify(when)}`);
    when_timestamp = Math.floor(when_timestamp);
  }
  const change: AddChangeInput = {
    author,
    committer: f('committer') ?? null,
    files: json<string[]>('files', f('files'), (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), [], 'a list of strings'),
    comments: f('comments') ?? '',
    revision: f('revision') ?? null,
    when_timestamp,
    branch: f('branch') ?? null,
    category: f('category') ?? null,
    revlink: f('revlink') ?? null,
    properties: json<Record<string, unknown>>('properties', f('properties'), (v) => !!v && typeof v === 'object' && !Array.isArray(v), {}, 'an object'),
    repository: f('repository') ?? '',
    project: f('project') ?? '',
    codebase: f('codebase') ?? undefined,
  };
  return change;
}
