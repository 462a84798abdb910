/**
 * A step's final one-line summary. The engine shows `descriptionDone` (or the step name) plus the
 * result when a step says nothing; a step that knows better (test counts, the revision) says it
 * here, unless the user wrote a descriptionDone, which always wins.
 */
import type { StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, resultName, type Result } from '../model/results.js';

export async function setSummary(rt: StepRuntime, options: Readonly<StepOptions>, text: string, result: Result, build?: string): Promise<void> {
  if (options.descriptionDone !== undefined) {
    if (build) await rt.updateSummary({ build });
    return;
  }
  await rt.updateSummary({ step: result === Results.SUCCESS ? text : `${text} (${resultName(result)})`, build });
}
