/**
 * The texts a finished build shows as its state_string, as Buildbot 3.7 writes them
 * (Build.stepDone / allStepsDone, BuildStep.getBuildResultSummary): a result word, the stop reason
 * in parentheses when the build was stopped, then the build summaries its steps contributed. A step
 * contributes its explicit build summary (updateSummary({ build })) whatever its result, or else its
 * step summary when its result is in its updateBuildSummaryPolicy.
 */
import { Results, type Result } from '../model/results.js';
import type { StepOptions } from './step-types.js';

const ALL_RESULTS: readonly Result[] = [Results.SUCCESS, Results.WARNINGS, Results.FAILURE, Results.SKIPPED, Results.EXCEPTION, Results.RETRY, Results.CANCELLED];

/**
 * The results for which a step's summary goes into its build's summary. Default (Buildbot's):
 * EXCEPTION, RETRY, CANCELLED; plus FAILURE when flunkOnFailure (default true), haltOnFailure or
 * warnOnFailure is set; plus WARNINGS when warnOnWarnings or flunkOnWarnings is set. `true` means
 * every result, `false` none.
 */
export function buildSummaryPolicy(opts: Readonly<StepOptions>): readonly Result[] {
  const p = opts.updateBuildSummaryPolicy;
  if (p === true) return ALL_RESULTS;
  if (p === false) return [];
  if (Array.isArray(p)) return p as readonly Result[];
  const out: Result[] = [Results.EXCEPTION, Results.RETRY, Results.CANCELLED];
  if ((opts.flunkOnFailure ?? true) || opts.haltOnFailure || opts.warnOnFailure) out.push(Results.FAILURE);
  if (opts.warnOnWarnings || opts.flunkOnWarnings) out.push(Results.WARNINGS);
  return out;
}

/** What a finished step adds to its build's summary, or null. */
export function stepBuildSummary(opts: Readonly<StepOptions>, result: Result, stepSummary: string, explicitBuildSummary: string | null): string | null {
  if (explicitBuildSummary !== null) return explicitBuildSummary;
  return buildSummaryPolicy(opts).includes(result) ? stepSummary : null;
}

/** Buildbot's result words for a finished build. */
export function buildResultWord(result: Result): string {
  switch (result) {
    case Results.FAILURE: return 'failed';
    case Results.WARNINGS: return 'warnings';
    case Results.EXCEPTION: return 'exception';
    case Results.RETRY: return 'retry';
    case Results.CANCELLED: return 'cancelled';
    default: return 'build successful';
  }
}

/** The final state_string: "<result word> [(<stop reason>)] <step summaries...>". */
export function finalBuildText(result: Result, stopReason: string | null, texts: readonly string[]): string {
  const words = [buildResultWord(result)];
  if (stopReason !== null) words.push(`(${stopReason})`);
  return [...words, ...texts].join(' ');
}
