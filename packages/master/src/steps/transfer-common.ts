/** What the file-transfer steps share: master path policy, failure reporting, result mapping. */
import type { StepCommandResult, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { StepRefusedError } from './errors.js';
import { commandOutcome } from './outcome.js';
import { resolveMasterPath } from './paths.js';

export interface MasterPathOption {
  /**
   * Master-side directory that transfers of this step may not leave (relative to the master
   * directory when relative). Default: the master directory itself.
   */
  allowedRoot?: string;
}

/** Default block sizes as in Buildbot: uploads 256 KiB, downloads 16 KiB. */
export const DEFAULT_UPLOAD_BLOCKSIZE = 256 * 1024;
export const DEFAULT_DOWNLOAD_BLOCKSIZE = 16 * 1024;

export async function resolveForStep(rt: StepRuntime, userPath: unknown, what: string, allowedRoot?: string): Promise<string> {
  const rendered = await rt.render(userPath);
  return resolveMasterPath(String(rendered ?? ''), { masterDir: rt.build.masterDir, allowedRoot }, what);
}

/** Writes a refusal or failure into the step's stdio log and returns FAILURE. */
export async function failWith(rt: StepRuntime, message: string): Promise<Result> {
  const log = await rt.addLog('stdio');
  log.addStderr(message.endsWith('\n') ? message : message + '\n');
  await log.finish();
  await rt.updateSummary({ step: message.split('\n', 1)[0]!.slice(0, 200) });
  return Results.FAILURE;
}

/** Runs `body`; a StepRefusedError (a refused path) becomes FAILURE with its message in the log. */
export async function refusalsFail(rt: StepRuntime, body: () => Promise<Result>): Promise<Result> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof StepRefusedError) return failWith(rt, err.message);
    throw err;
  }
}

/** The transfer result; a failure reported by the worker or the master side is logged. */
export async function transferOutcome(rt: StepRuntime, res: StepCommandResult, what: string): Promise<Result> {
  const r = commandOutcome(res);
  if (r !== Results.SUCCESS && res.failure && !res.interrupted) {
    const log = await rt.addLog('transfer');
    log.addStderr(`${what} failed: ${res.failure.message}\n`);
    await log.finish();
  }
  return r;
}
