/**
 * The facts a message is written from, as Buildbot's `create_context_for_build`
 * (reporters/message.py) names them (`buildername`, `status_detected`, `build_url`, `blamelist`,
 * `summary`, `sourcestamps`, ...), plus what mastro's default bodies show: the first failing step
 * and the last lines of its log. User templates read the same context (a function gets it whole; a
 * template string reads its plain values as `%(kw:name)s`, or Buildbot's `%(result)s` forms).
 */
import { Results, resultName } from '../../model/results.js';
import type { BuildsetResource, SourceStampResource } from '../../data/types.js';
import type { MissingWorkerInfo, ReportReads } from '../base.js';
import { logTail, type BuildDetails } from '../build-details.js';

export interface FailingStep {
  name: string;
  state_string: string;
  results: number;
  /** The log shown (the step's `stdio`, or its first log), and the last lines of it. */
  log_name: string | null;
  log_url: string | null;
  log_tail: string;
}

export interface BuildMessageContext {
  /** 'new' for a build that just started, 'finished' when it ended. */
  event: 'new' | 'finished';
  results: number | null;
  /** The result's name: 'success', 'failure', ... ('not finished' for a new build). */
  result: string;
  mode: readonly string[];
  buildername: string;
  workername: string;
  build: BuildDetails;
  buildset: BuildsetResource | null;
  is_buildset: boolean;
  projects: string;
  previous_results: number | null;
  status_detected: string;
  build_url: string;
  buildbot_title: string;
  buildbot_url: string;
  blamelist: string[];
  summary: string;
  sourcestamps: string;
  failing_step: FailingStep | null;
}

export interface WorkerMessageContext {
  worker: MissingWorkerInfo;
  workername: string;
  buildbot_title: string;
  buildbot_url: string;
}

/** Buildbot's get_detected_status_text. */
export function detectedStatus(mode: readonly string[], results: number | null, previous: number | null): string {
  if (results === Results.FAILURE) {
    return (mode.includes('change') || mode.includes('problem')) && previous !== null && previous !== Results.FAILURE ? 'new failure' : 'failed build';
  }
  if (results === Results.WARNINGS) return 'problem in the build';
  if (results === Results.SUCCESS) return mode.includes('change') && previous !== null && previous !== results ? 'restored build' : 'passing build';
  if (results === Results.EXCEPTION) return 'build exception';
  return `${resultName(results)} build`;
}

/** Buildbot's get_message_summary_text. */
export function summaryText(build: { state_string: string }, results: number | null): string {
  const t = build.state_string ? `: ${build.state_string}` : '';
  if (results === Results.SUCCESS) return 'Build succeeded!';
  if (results === Results.WARNINGS) return `Build Had Warnings${t}`;
  if (results === Results.CANCELLED) return 'Build was cancelled';
  if (results === null) return `Build started${t}`;
  return `BUILD FAILED${t}`;
}

/** Buildbot's get_message_source_stamp_text: `[branch main] abc123` per sourcestamp, with the patch noted. */
export function sourceStampText(list: readonly SourceStampResource[]): string {
  return list.map((ss) => {
    let s = ss.branch ? `[branch ${ss.branch}] ` : '';
    s += ss.revision ? ss.revision : 'HEAD';
    if (ss.patch) s += ' (plus patch)';
    return s;
  }).join(', ');
}

function projectsText(list: readonly SourceStampResource[], title: string): string {
  const names = [...new Set(list.map((ss) => ss.project).filter(Boolean))];
  return names.length ? names.join(', ') : title;
}

/** The first step that failed (or ended in exception), with the tail of its output. */
async function failingStep(reads: ReportReads, build: BuildDetails, tailLines: number): Promise<FailingStep | null> {
  const step = build.steps.find((s) => s.results === Results.FAILURE || s.results === Results.EXCEPTION);
  if (!step) return null;
  const log = step.logs.find((l) => l.slug === 'stdio') ?? step.logs[0];
  return {
    name: step.name, state_string: step.state_string, results: step.results!,
    log_name: log?.name ?? null, log_url: log?.url ?? null,
    log_tail: log ? await logTail(reads, log, tailLines) : '',
  };
}

export async function buildMessageContext(reads: ReportReads, build: BuildDetails, o: {
  event: 'new' | 'finished'; mode: readonly string[]; isBuildset: boolean; title: string; buildbotURL: string; logTailLines: number;
}): Promise<BuildMessageContext> {
  const ss = build.buildset?.sourcestamps ?? [];
  const results = o.event === 'new' ? null : build.results;
  const previous = build.prev_build?.results ?? null;
  const worker = build.properties?.workername?.[0];
  return {
    event: o.event,
    results,
    result: resultName(results),
    mode: o.mode,
    buildername: build.builder.name,
    workername: typeof worker === 'string' ? worker : '<unknown>',
    build,
    buildset: build.buildset,
    is_buildset: o.isBuildset,
    projects: projectsText(ss, o.title),
    previous_results: previous,
    status_detected: detectedStatus(o.mode, results, previous),
    build_url: build.url,
    buildbot_title: o.title,
    buildbot_url: o.buildbotURL,
    blamelist: build.blamelist,
    summary: summaryText(build, results),
    sourcestamps: sourceStampText(ss),
    failing_step: results === null || results === Results.SUCCESS ? null : await failingStep(reads, build, o.logTailLines),
  };
}
