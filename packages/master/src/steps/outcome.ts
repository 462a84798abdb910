/** How a finished remote command becomes a step result (Buildbot's RemoteCommand.results()). */
import { Results, type Result } from '../model/results.js';
import type { CommandResult } from '../workers/types.js';

/** rc -> result; codes not listed are FAILURE. Buildbot's default is {0: SUCCESS}. */
export type DecodeRC = Readonly<Record<number, Result>>;
export const DEFAULT_DECODE_RC: DecodeRC = Object.freeze({ 0: Results.SUCCESS });

export function commandOutcome(res: CommandResult & { interruptedAs?: Result }, decodeRC: DecodeRC = DEFAULT_DECODE_RC): Result {
  if (res.interrupted) return res.interruptedAs ?? Results.CANCELLED;
  if (res.failure?.lostConnection) return Results.RETRY;
  if (res.failure?.refused) return Results.FAILURE;
  if (res.failure) return Results.EXCEPTION;
  if (res.rc === null || res.rc === undefined) return Results.EXCEPTION;
  return decodeRC[res.rc] ?? Results.FAILURE;
}

/** True when the command did not end with rc 0 (for file commands whose only success is 0). */
export function didFail(res: CommandResult): boolean {
  return res.interrupted || !!res.failure || res.rc !== 0;
}

/** For results a step cannot recover from, which end the step at once whatever it was doing. */
export function isFatal(r: Result): boolean {
  return r === Results.CANCELLED || r === Results.RETRY || r === Results.EXCEPTION;
}
