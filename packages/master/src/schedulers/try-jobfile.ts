/**
 * Buildbot's try job files (what `buildbot try --connect=ssh` hands to `tryserver`, and what a
 * `tryJobdir` scheduler reads): a sequence of netstrings (`<byte length>:<bytes>,`), the first
 * being the format version.
 *   1-4  jobid, branch, baserev, patch_level, patch_body, [2+: repository, project], [3+: who],
 *        [4: comment], then one netstring per builder name
 *   5    one JSON object; patch_body is text
 *   6    one JSON object; the patch is `patch_body_base64` (binary diffs survive)
 * `parseJobFile` and `formatJobFile` mirror each other; the writer emits version 6.
 */
import { ErrorCodes } from '../errors/catalog.js';

/** A job file that cannot be used; the message says what is wrong with it. */
export class TryJobFileError extends Error {
  readonly code = ErrorCodes.TRY_JOBFILE_INVALID;
  constructor(message: string) { super(message); this.name = 'TryJobFileError'; }
}

export interface TryJobFile {
  version: number;
  /** The client's id for the job (becomes the buildset's external_idstring). */
  jobid: string;
  /** null: the default branch. */
  branch: string | null;
  /** The base revision the patch applies to; null: the branch head. */
  baserev: string | null;
  patchLevel: number;
  patchBody: Buffer;
  repository: string;
  project: string;
  who: string;
  comment: string;
  /** Requested builders; empty means all of the scheduler's builders. */
  builderNames: string[];
  properties: Record<string, unknown>;
}

export const JOB_FILE_VERSIONS = [1, 2, 3, 4, 5, 6] as const;

const TEXT_FIELDS_BY_VERSION: Record<number, readonly string[]> = {
  1: ['jobid', 'branch', 'baserev', 'patch_level', 'patch_body'],
  2: ['jobid', 'branch', 'baserev', 'patch_level', 'patch_body', 'repository', 'project'],
  3: ['jobid', 'branch', 'baserev', 'patch_level', 'patch_body', 'repository', 'project', 'who'],
  4: ['jobid', 'branch', 'baserev', 'patch_level', 'patch_body', 'repository', 'project', 'who', 'comment'],
};

/** Splits a buffer into netstrings; anything after the last complete one must be whitespace. */
export function parseNetstrings(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < data.length) {
    const colon = data.indexOf(0x3a, pos);
    const digits = colon < 0 ? '' : data.subarray(pos, colon).toString('latin1');
    if (colon < 0 || !/^\d{1,10}$/.test(digits)) {
      if (/^\s*$/.test(data.subarray(pos).toString('latin1'))) break;
      throw new TryJobFileError(`not a netstring at byte ${pos}: expected '<length>:'`);
    }
    const len = Number(digits);
    const end = colon + 1 + len;
    if (end >= data.length || data[end] !== 0x2c) throw new TryJobFileError(`netstring at byte ${pos} announces ${len} bytes but is truncated or lacks its closing ','`);
    out.push(data.subarray(colon + 1, end));
    pos = end + 1;
  }
  return out;
}

function netstring(b: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${b.length}:`, 'latin1'), b, Buffer.from(',', 'latin1')]);
}

function patchLevel(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 0) throw new TryJobFileError(`patch_level must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

function text(v: unknown, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new TryJobFileError(`${field} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

/** Parses one job file. Throws TryJobFileError naming the problem. */
export function parseJobFile(data: Buffer): TryJobFile {
  const strings = parseNetstrings(data);
  if (!strings.length) throw new TryJobFileError('the file holds no netstring (an empty or foreign file)');
  const versionText = strings.shift()!.toString('utf8');
  const version = Number(versionText);
  if (!(JOB_FILE_VERSIONS as readonly number[]).includes(version) || String(version) !== versionText) {
    throw new TryJobFileError(`unknown job file version '${versionText.slice(0, 20)}'; this master reads versions ${JOB_FILE_VERSIONS.join(', ')}`);
  }
  return version <= 4 ? parseFields(version, strings) : parseJson(version, strings);
}

function parseFields(version: number, strings: Buffer[]): TryJobFile {
  const names = TEXT_FIELDS_BY_VERSION[version]!;
  if (strings.length < names.length) throw new TryJobFileError(`a version ${version} job file has ${names.length} fields (${names.join(', ')}) before the builder names; this one has ${strings.length}`);
  const f: Record<string, string> = {};
  names.forEach((n, i) => { if (n !== 'patch_body') f[n] = strings[i]!.toString('utf8'); });
  return {
    version, jobid: f.jobid!, branch: f.branch || null, baserev: f.baserev || null,
    patchLevel: patchLevel(f.patch_level), patchBody: Buffer.from(strings[names.indexOf('patch_body')]!),
    repository: f.repository ?? '', project: f.project ?? '', who: f.who ?? '', comment: f.comment ?? '',
    builderNames: strings.slice(names.length).map((b) => b.toString('utf8')), properties: {},
  };
}

function parseJson(version: number, strings: Buffer[]): TryJobFile {
  if (strings.length < 1) throw new TryJobFileError(`a version ${version} job file needs a JSON netstring after the version`);
  let j: Record<string, unknown>;
  try { j = JSON.parse(strings[0]!.toString('utf8')); } catch (err) { throw new TryJobFileError(`the job is not valid JSON: ${(err as Error).message}`); }
  if (!j || typeof j !== 'object' || Array.isArray(j)) throw new TryJobFileError('the job JSON must be an object');
  let patchBody: Buffer;
  if (version === 5) patchBody = Buffer.from(text(j.patch_body, 'patch_body'), 'utf8');
  else {
    const b64 = text(j.patch_body_base64, 'patch_body_base64');
    if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) throw new TryJobFileError('patch_body_base64 is not base64');
    patchBody = Buffer.from(b64, 'base64');
  }
  const builders = j.builderNames ?? [];
  if (!Array.isArray(builders) || !builders.every((b) => typeof b === 'string')) throw new TryJobFileError(`builderNames must be a list of strings, got ${JSON.stringify(builders)}`);
  const props = j.properties ?? {};
  if (typeof props !== 'object' || Array.isArray(props) || props === null) throw new TryJobFileError(`properties must be an object, got ${JSON.stringify(props)}`);
  return {
    version, jobid: text(j.jobid, 'jobid'), branch: text(j.branch, 'branch') || null, baserev: text(j.baserev, 'baserev') || null,
    patchLevel: patchLevel(j.patch_level), patchBody,
    repository: text(j.repository, 'repository'), project: text(j.project, 'project'), who: text(j.who, 'who'), comment: text(j.comment, 'comment'),
    builderNames: builders as string[], properties: props as Record<string, unknown>,
  };
}

/** Writes a version 6 job file (what Buildbot 3.7's try client sends for a binary patch). */
export function formatJobFile(job: Omit<TryJobFile, 'version'>): Buffer {
  const body = {
    jobid: job.jobid, branch: job.branch ?? '', baserev: job.baserev ?? '', patch_level: job.patchLevel,
    repository: job.repository, project: job.project, who: job.who, comment: job.comment,
    builderNames: job.builderNames, properties: job.properties, patch_body_base64: job.patchBody.toString('base64'),
  };
  return Buffer.concat([netstring(Buffer.from('6')), netstring(Buffer.from(JSON.stringify(body), 'utf8'))]);
}
