/**
 * Buildbot's computeResultAndTermination: how one sub-result (a command in a shell sequence) folds
 * into an overall result, given flunk/warn/halt flags, and whether the sequence must stop.
 */
import { Results, worst, type Result } from '../model/results.js';

export interface ResultRules {
  haltOnFailure?: boolean;
  flunkOnFailure?: boolean;
  warnOnFailure?: boolean;
  flunkOnWarnings?: boolean;
  warnOnWarnings?: boolean;
}

export function foldResult(rules: ResultRules, result: Result, previous: Result): { result: Result; terminate: boolean } {
  const flunkOnFailure = rules.flunkOnFailure ?? true;
  let possible: Result = result;
  let terminate = false;
  if (result === Results.FAILURE) {
    possible = flunkOnFailure ? Results.FAILURE : rules.warnOnFailure ? Results.WARNINGS : Results.SUCCESS;
    if (rules.haltOnFailure) terminate = true;
  } else if (result === Results.WARNINGS) {
    possible = rules.flunkOnWarnings ? Results.FAILURE : rules.warnOnWarnings ? Results.WARNINGS : Results.SUCCESS;
  } else if (result === Results.EXCEPTION || result === Results.RETRY || result === Results.CANCELLED) {
    terminate = true;
  }
  return { result: worst(previous, possible), terminate };
}
