/** Build and step results with Buildbot's numeric codes (buildbot.process.results). */
export const Results = {
  SUCCESS: 0,
  WARNINGS: 1,
  FAILURE: 2,
  SKIPPED: 3,
  EXCEPTION: 4,
  RETRY: 5,
  CANCELLED: 6,
} as const;
export type Result = (typeof Results)[keyof typeof Results];

const NAMES = ['success', 'warnings', 'failure', 'skipped', 'exception', 'retry', 'cancelled'] as const;

export function resultName(result: number | null | undefined): string {
  return result == null ? 'not finished' : NAMES[result] ?? `unknown(${result})`;
}

/**
 * Combines results the way Buildbot's worstStatus does for a build: the "worse" one wins, where the
 * order is SKIPPED < SUCCESS < WARNINGS < FAILURE < EXCEPTION < RETRY < CANCELLED.
 */
const SEVERITY: Record<number, number> = { 3: 0, 0: 1, 1: 2, 2: 3, 4: 4, 5: 5, 6: 6 };
export function worst(a: Result, b: Result): Result {
  return (SEVERITY[a] ?? 0) >= (SEVERITY[b] ?? 0) ? a : b;
}

/** The flags that decide how a step's (or a ShellSequence command's) result counts, as Buildbot names them. */
export interface ResultRules {
  /** Stop the build (or the sequence) when this fails; later steps run only if alwaysRun. */
  haltOnFailure?: boolean;
  /** A failure counts as FAILURE (default true). */
  flunkOnFailure?: boolean;
  /** A failure counts as WARNINGS when flunkOnFailure is false. */
  warnOnFailure?: boolean;
  /** Warnings count as FAILURE. */
  flunkOnWarnings?: boolean;
  /** Warnings count as WARNINGS (otherwise as SUCCESS). */
  warnOnWarnings?: boolean;
}

export const RESULT_RULE_KEYS = ['haltOnFailure', 'flunkOnFailure', 'warnOnFailure', 'flunkOnWarnings', 'warnOnWarnings'] as const satisfies readonly (keyof ResultRules)[];

/**
 * Buildbot's computeResultAndTermination (buildbot.process.results): how one result folds into the
 * overall result so far, and whether what runs next must stop. The build folds each step's result
 * with the step's flags; a ShellSequence folds each command's with the command's. flunkOnFailure
 * defaults to true, the other flags to false; EXCEPTION, RETRY and CANCELLED always terminate;
 * SKIPPED never changes the overall result.
 */
export function foldResult(rules: Readonly<ResultRules>, result: Result, previous: Result): { result: Result; terminate: boolean } {
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
