/**
 * A build with what reports need around it, read through the data layer: Buildbot's
 * `getDetailsForBuild` (reporters/utils.py) with its build dict shape (`builder`, `buildrequest`,
 * `buildset` with its sourcestamps, `parentbuild`, `url`, `properties`, `steps` with their `logs`,
 * `prev_build`), plus the changes and the interested users (`blamelist`: change authors and the
 * `owner`/`owners` properties, as Buildbot's getResponsibleUsersForBuild).
 */
import type {
  BuilderResource, BuildRequestResource, BuildResource, BuildsetResource, ChangeResource, LogResource, StepResource,
} from '../data/types.js';
import type { ReportReads } from './base.js';

export interface LogDetails extends LogResource {
  /** Where a reader gets the whole log (the raw API: it works from a mail client). */
  url: string;
}
export interface StepDetails extends StepResource { logs: LogDetails[] }

export interface BuildDetails extends BuildResource {
  builder: BuilderResource;
  buildrequest: BuildRequestResource | null;
  buildset: BuildsetResource | null;
  parentbuild: BuildResource | null;
  parentbuilder: BuilderResource | null;
  /** The build's page in the web UI. */
  url: string;
  steps: StepDetails[];
  /** The previous build of this builder and branch (only when asked for: `change`/`problem` modes). */
  prev_build?: BuildResource | null;
  changes: ChangeResource[];
  /** Interested users, sorted. */
  blamelist: string[];
}

export interface DetailsOptions {
  buildbotURL: string;
  wantPrevious?: boolean;
  wantSteps?: boolean;
}

/** `#/builders/1/builds/3` under the public URL (the UI's route; Buildbot's UI reads it too). */
export function buildUrl(buildbotURL: string, builderid: number, number: number): string {
  return `${buildbotURL}#/builders/${builderid}/builds/${number}`;
}

export function logUrl(buildbotURL: string, logid: number): string {
  return `${buildbotURL}api/v2/logs/${logid}/raw`;
}

/** The build `buildid` with its details, or undefined when it does not exist (any more). */
export async function loadBuildDetails(reads: ReportReads, buildid: number, o: DetailsOptions): Promise<BuildDetails | undefined> {
  const build = await reads.getOne<BuildResource>(['builds', buildid], { properties: ['*'] });
  if (!build) return undefined;
  const [builder, buildrequest] = await Promise.all([
    reads.getOne<BuilderResource>(['builders', build.builderid]),
    reads.getOne<BuildRequestResource>(['buildrequests', build.buildrequestid]),
  ]);
  const buildset = buildrequest ? (await reads.getOne<BuildsetResource>(['buildsets', buildrequest.buildsetid])) ?? null : null;
  let parentbuild: BuildResource | null = null;
  let parentbuilder: BuilderResource | null = null;
  if (buildset?.parent_buildid) {
    parentbuild = (await reads.getOne<BuildResource>(['builds', buildset.parent_buildid])) ?? null;
    if (parentbuild) parentbuilder = (await reads.getOne<BuilderResource>(['builders', parentbuild.builderid])) ?? null;
  }
  const changes = (await Promise.all((buildset?.sourcestamps ?? []).map((ss) => reads.getList<ChangeResource>(['sourcestamps', ss.ssid, 'changes'])))).flat();
  const steps: StepDetails[] = [];
  if (o.wantSteps !== false) {
    for (const s of await reads.getList<StepResource>(['builds', buildid, 'steps'])) {
      const logs = await reads.getList<LogResource>(['steps', s.stepid, 'logs']);
      steps.push({ ...s, logs: logs.map((l) => ({ ...l, url: logUrl(o.buildbotURL, l.logid) })) });
    }
  }
  const details: BuildDetails = {
    ...build,
    properties: build.properties ?? {},
    builder: builder ?? { builderid: build.builderid, name: `builder ${build.builderid}`, masterids: [], description: null, tags: [] },
    buildrequest: buildrequest ?? null,
    buildset,
    parentbuild,
    parentbuilder,
    url: buildUrl(o.buildbotURL, build.builderid, build.number),
    steps,
    changes,
    blamelist: blamelist(changes, build.properties ?? {}, buildset),
  };
  if (o.wantPrevious) details.prev_build = (await reads.getPreviousBuild(buildid)) ?? null;
  return details;
}

/**
 * The build as its start event saw it. Reports are generated when they are delivered, which may be
 * after the build ended (the endpoint was down): a start report must still say "started", not the
 * result, or a commit status would skip `pending`.
 */
export function asStarted(d: BuildDetails): BuildDetails {
  return { ...d, complete: false, complete_at: null, results: null, state_string: 'starting', steps: [] };
}

/** Change authors, patch authors and the `owner`/`owners` properties, de-duplicated and sorted. */
function blamelist(changes: readonly ChangeResource[], properties: Record<string, [unknown, string]>, buildset: BuildsetResource | null): string[] {
  const users = new Set<string>();
  for (const c of changes) if (c.author) users.add(c.author);
  for (const ss of buildset?.sourcestamps ?? []) if (ss.patch?.author) users.add(ss.patch.author);
  for (const key of ['owner', 'owners']) {
    const v = properties[key]?.[0];
    if (typeof v === 'string' && v) users.add(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string' && x) users.add(x);
  }
  return [...users].sort();
}

/**
 * The last `lines` lines of a log as plain text (stream codes of stdio logs removed; header lines,
 * the command line and the exit status, left out: they are not the output).
 */
export async function logTail(reads: ReportReads, log: LogResource, lines: number): Promise<string> {
  if (log.num_lines === 0 || lines <= 0) return '';
  // Header lines are skipped, so read a little more than asked and keep the last `lines`.
  const want = log.type === 's' ? lines + 8 : lines;
  const offset = Math.max(0, log.num_lines - want);
  const chunk = await reads.getOne<{ content: string }>(['logs', log.logid, 'contents'], { offset, limit: log.num_lines - offset });
  return plainLines(chunk?.content ?? '', log.type).slice(-lines).join('');
}

/** A log's lines from the /contents shape: each line of an 's' log starts with its stream code. */
export function plainLines(content: string, type: string): string[] {
  const out: string[] = [];
  for (const line of content.split(/(?<=\n)/)) {
    if (!line) continue;
    if (type !== 's') { out.push(line); continue; }
    if (line[0] === 'h') continue;
    out.push(line.slice(1));
  }
  return out;
}

/**
 * A whole log as plain text for an attachment, keeping at most its last `maxBytes` bytes: read
 * backwards in pages of lines, so a huge log is never loaded whole nor read to its start.
 * `truncatedLines` counts the lines left out at the front.
 */
export async function logText(reads: ReportReads, log: LogResource, maxBytes: number): Promise<{ content: string; truncatedLines: number }> {
  const PAGE = 2000;
  const parts: string[] = [];
  let kept = 0;
  let end = log.num_lines;
  while (end > 0) {
    const offset = Math.max(0, end - PAGE);
    const chunk = await reads.getOne<{ content: string }>(['logs', log.logid, 'contents'], { offset, limit: end - offset });
    // Header lines ('h') are dropped by plainLines; the count of lines left out is by line number.
    const raw = (chunk?.content ?? '').split(/(?<=\n)/).filter(Boolean);
    for (let i = raw.length - 1; i >= 0; i--) {
      const [line] = plainLines(raw[i]!, log.type);
      const bytes = line === undefined ? 0 : Buffer.byteLength(line);
      if (kept + bytes > maxBytes) return { content: parts.reverse().join(''), truncatedLines: offset + i + 1 };
      if (line !== undefined) { parts.push(line); kept += bytes; }
    }
    end = offset;
  }
  return { content: parts.reverse().join(''), truncatedLines: 0 };
}
