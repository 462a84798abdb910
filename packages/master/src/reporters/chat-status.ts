/**
 * What a chat bot tells about builders and builds (Buildbot's StatusBot in reporters/words.py):
 * the lookups (a builder by name, its running builds, its last finished build, the builders with
 * a connected worker) through the data layer, and the sentences: `status`, `last`, and the
 * announcements of a build that started or finished, with Buildbot's result words and, on IRC,
 * its colours.
 */
import { Results } from '../model/results.js';
import type { BuilderResource, BuildResource, StepResource, WorkerResource } from '../data/types.js';
import type { ReportReads } from './base.js';
import { buildUrl } from './build-details.js';

/** A mistake in a command, said back to the user as it is. */
export class UsageError extends Error {
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

const DESCRIPTIONS: Record<number, string> = {
  [Results.SKIPPED]: 'was skipped', [Results.SUCCESS]: 'completed successfully', [Results.WARNINGS]: 'completed with warnings',
  [Results.FAILURE]: 'failed', [Results.EXCEPTION]: 'stopped with exception', [Results.RETRY]: 'has been retried', [Results.CANCELLED]: 'was cancelled',
};
const SHORT: Record<number, string> = {
  [Results.SUCCESS]: 'Success', [Results.WARNINGS]: 'Warnings', [Results.FAILURE]: 'Failure', [Results.SKIPPED]: 'Skipped',
  [Results.EXCEPTION]: 'Exception', [Results.RETRY]: 'Retry', [Results.CANCELLED]: 'Cancelled',
};
/** mIRC colour numbers of Buildbot's results_colors (GREEN, YELLOW, RED, ROYAL_BLUE, PURPLE, AQUA_LIGHT, PINK). */
const COLOURS: Record<number, number> = {
  [Results.SUCCESS]: 3, [Results.WARNINGS]: 8, [Results.FAILURE]: 4, [Results.SKIPPED]: 12, [Results.EXCEPTION]: 6, [Results.RETRY]: 11, [Results.CANCELLED]: 13,
};

export interface ChatFormat {
  /** Wrap result words in mIRC colour codes (Buildbot's useColors). */
  colours: boolean;
  buildbotURL: string;
}

/** "failed", "completed successfully", … (or "Failure" when short), coloured when asked. */
export function resultText(results: number | null, f: ChatFormat, short = false): string {
  const r = results ?? -1;
  const text = (short ? SHORT[r] : DESCRIPTIONS[r]) ?? `ended with result ${results}`;
  const c = COLOURS[r];
  return f.colours && c !== undefined ? `\x03${String(c).padStart(2, '0')}${text}\x0f` : text;
}

/** Buildbot's fuzzyInterval: "5 seconds", "3 minutes", "2 hours", "4 days". */
export function fuzzyInterval(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const unit = (n: number, u: string) => `${n} ${u}${n === 1 ? '' : 's'}`;
  if (s < 60) return unit(s, 'second');
  if (s < 3600) return unit(Math.round(s / 60), 'minute');
  if (s < 86_400) return unit(Math.round(s / 3600), 'hour');
  return unit(Math.round(s / 86_400), 'day');
}

export async function builderByName(reads: ReportReads, name: string): Promise<BuilderResource> {
  const [b] = await reads.getList<BuilderResource>(['builders'], { filters: [{ field: 'name', op: 'eq', values: [name] }] });
  if (!b) throw new UsageError(`no such builder '${name}'`);
  return b;
}

/** Builders of the current config (a builder no master configures any more is left out). */
export async function configuredBuilders(reads: ReportReads): Promise<BuilderResource[]> {
  return (await reads.getList<BuilderResource>(['builders'])).filter((b) => b.masterids.length > 0).sort((a, b) => a.name.localeCompare(b.name));
}

export async function onlineBuilderIds(reads: ReportReads): Promise<Set<number>> {
  const ids = new Set<number>();
  for (const w of await reads.getList<WorkerResource>(['workers'])) {
    if (w.connected_to.length) for (const c of w.configured_on) ids.add(c.builderid);
  }
  return ids;
}

export function runningBuilds(reads: ReportReads, builderid: number): Promise<BuildResource[]> {
  return reads.getList<BuildResource>(['builds'], { filters: [{ field: 'builderid', op: 'eq', values: [builderid] }, { field: 'complete', op: 'eq', values: [false] }], order: ['number'] });
}

export async function lastFinishedBuild(reads: ReportReads, builderid: number): Promise<BuildResource | undefined> {
  const [b] = await reads.getList<BuildResource>(['builds'], { filters: [{ field: 'builderid', op: 'eq', values: [builderid] }, { field: 'complete', op: 'eq', values: [true] }], order: ['-number'], limit: 1 });
  return b;
}

const nowS = () => Date.now() / 1000;

/** `test: idle, last build #3 5 minutes ago, failed: failed shell` / `test: running build #4 (compile)` / `test: offline`. */
export async function statusLine(reads: ReportReads, b: BuilderResource, online: ReadonlySet<number>, f: ChatFormat): Promise<string> {
  const running = await runningBuilds(reads, b.builderid);
  if (running.length) {
    const parts: string[] = [];
    for (const build of running) {
      const [step] = await reads.getList<StepResource>(['builds', build.buildid, 'steps'], { filters: [{ field: 'complete', op: 'eq', values: [false] }], order: ['number'], limit: 1 });
      parts.push(`build #${build.number} (${step ? step.state_string || step.name : 'no current step'}) ${buildUrl(f.buildbotURL, b.builderid, build.number)}`);
    }
    return `${b.name}: running ${parts.join(', ')}`;
  }
  if (!online.has(b.builderid)) return `${b.name}: offline`;
  const last = await lastFinishedBuild(reads, b.builderid);
  if (!last) return `${b.name}: idle`;
  const ago = last.complete_at ? fuzzyInterval(nowS() - last.complete_at) : '??';
  const why = last.results !== Results.SUCCESS && last.state_string ? `: ${last.state_string}` : '';
  return `${b.name}: idle, last build #${last.number} ${ago} ago, ${resultText(last.results, f)}${why}`;
}

/** `test: last build #3 failed (5 minutes ago): failed shell`. */
export async function lastLine(reads: ReportReads, b: BuilderResource, f: ChatFormat): Promise<string> {
  const last = await lastFinishedBuild(reads, b.builderid);
  if (!last) return `${b.name}: no finished build yet`;
  const ago = last.complete_at ? fuzzyInterval(nowS() - last.complete_at) : '??';
  const why = last.results !== Results.SUCCESS && last.state_string ? `: ${last.state_string}` : '';
  return `${b.name}: last build #${last.number} ${resultText(last.results, f)} (${ago} ago)${why} ${buildUrl(f.buildbotURL, b.builderid, last.number)}`;
}
