/**
 * How a step's result folds into its build's, exactly as Buildbot's computeResultAndTermination:
 * flunkOnFailure defaults to true, the other flags to false; EXCEPTION, RETRY and CANCELLED end the
 * build (only alwaysRun steps still run); SKIPPED never changes the build result.
 */
import { Results, worst, type Result } from '../model/results.js';
import type { StepOptions } from './step-types.js';

export function foldStepResult(opts: Readonly<StepOptions>, result: Result, previous: Result): { result: Result; terminate: boolean } {
  const flunkOnFailure = opts.flunkOnFailure ?? true;
  let possible: Result = result;
  let terminate = false;
  if (result === Results.FAILURE) {
    if (!flunkOnFailure) possible = Results.SUCCESS;
    if (opts.warnOnFailure) possible = Results.WARNINGS;
    if (flunkOnFailure) possible = Results.FAILURE;
    if (opts.haltOnFailure) terminate = true;
  } else if (result === Results.WARNINGS) {
    possible = opts.warnOnWarnings ? Results.WARNINGS : Results.SUCCESS;
    if (opts.flunkOnWarnings) possible = Results.FAILURE;
  } else if (result === Results.EXCEPTION || result === Results.RETRY || result === Results.CANCELLED) {
    terminate = true;
  }
  return { result: worst(previous, possible), terminate };
}
