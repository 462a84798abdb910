/**
 * The build events a chat bot announces (Buildbot's `notify_events`, reporters/words.py):
 * `started`, `finished`, a result (`success`, `warnings`, `failure`, `exception`, `cancelled`),
 * a change against the previous build (`problem`: success/warnings -> failure/exception,
 * `recovery`: the reverse, `worse`, `better`, and the older `successToFailure`-style pairs), and
 * `worker` (a worker gone missing, from a workerMissing generator). The previous build is the one
 * before of the same builder and branch (as the generators' `change` mode compares).
 */
import { Results, resultName } from '../model/results.js';

const PAIR = /^(success|warnings|failure|exception)To(Success|Warnings|Failure|Exception)$/;
export const CHAT_EVENTS = ['started', 'finished', 'success', 'warnings', 'failure', 'exception', 'cancelled', 'problem', 'recovery', 'worse', 'better', 'worker'] as const;

export function isChatEvent(e: unknown): boolean {
  return typeof e === 'string' && ((CHAT_EVENTS as readonly string[]).includes(e) || PAIR.test(e));
}

/** Buildbot's results_severity order. */
const SEVERITY = [Results.SKIPPED, Results.SUCCESS, Results.WARNINGS, Results.FAILURE, Results.CANCELLED, Results.EXCEPTION] as number[];

/** Whether a finished build with `results` (after one with `previous`, or null) is announced for `events`. */
export function notifiesFinished(events: ReadonlySet<string>, results: number, previous: number | null): boolean {
  if (events.has('finished') || events.has(resultName(results))) return true;
  if (previous === null) return false;
  const sev = SEVERITY.indexOf(results);
  const prevSev = SEVERITY.indexOf(previous);
  if (sev < 0 || prevSev < 0) return false;
  if (events.has('better') && sev < prevSev) return true;
  if (events.has('worse') && sev > prevSev) return true;
  const bad = (r: number) => r === Results.FAILURE || r === Results.EXCEPTION;
  const good = (r: number) => r === Results.SUCCESS || r === Results.WARNINGS;
  if (events.has('problem') && good(previous) && bad(results)) return true;
  if (events.has('recovery') && bad(previous) && good(results)) return true;
  const name = resultName(results);
  return events.has(`${resultName(previous)}To${name[0]!.toUpperCase()}${name.slice(1)}`);
}

/** Whether announcing needs the previous build (a change event is asked for). */
export function needsPrevious(events: ReadonlySet<string>): boolean {
  return ['problem', 'recovery', 'worse', 'better'].some((e) => events.has(e)) || [...events].some((e) => PAIR.test(e));
}
