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
