/** Shared by the worker file-system steps: a failed command becomes FAILURE with the reason logged. */
import type { StepCommandResult, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { commandOutcome } from './outcome.js';

export async function fsOutcome(rt: StepRuntime, res: StepCommandResult, what: string): Promise<Result> {
  const r = commandOutcome(res);
  if (r !== Results.SUCCESS) {
    const log = await rt.addLog('stdio');
    log.addStderr(`${what} failed${res.failure ? `: ${res.failure.message}` : res.rc != null ? ` (rc=${res.rc})` : ''}\n`);
    await log.finish();
  }
  return r;
}
