/**
 * The run() that fileUpload and directoryUpload share: render and check the paths, create the
 * master-side directory, run the worker's upload command, then the optional link and the summary.
 * What differs (the worker command and its extra arguments) comes in as an UploadKind.
 */
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { CommandCallbacks, RemoteWorker, RunningCommand } from '../workers/types.js';
import type { MaybeRenderable, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { DEFAULT_UPLOAD_BLOCKSIZE, refusalsFail, resolveForStep, transferOutcome, type MasterPathOption } from './transfer-common.js';

/** The options both upload steps take (each step documents them in its own options interface). */
export interface UploadStepOptions extends StepOptions, MasterPathOption {
  workersrc: MaybeRenderable<string>;
  masterdest: MaybeRenderable<string>;
  maxsize?: number | null;
  blocksize?: number;
  url?: MaybeRenderable<string> | null;
  urlText?: MaybeRenderable<string> | null;
}

/** The arguments both worker upload commands take. */
export interface UploadTransfer {
  workdir: string;
  workerSrc: string;
  masterDest: string;
  maxsize: number | null;
  blocksize: number;
}

export interface UploadKind {
  /**
   * 'file': masterdest names a file, so its parent directory is created and the state, summary and
   * default link text show base names; 'directory': masterdest is the directory created.
   */
  target: 'file' | 'directory';
  /** Starts the worker command for `transfer`, adding the step's own arguments. */
  start(worker: RemoteWorker, builderName: string, transfer: UploadTransfer, callbacks: CommandCallbacks): RunningCommand;
}

export function runUpload(rt: StepRuntime, o: Readonly<UploadStepOptions>, kind: UploadKind): Promise<Result> {
  return refusalsFail(rt, async () => {
    const isFile = kind.target === 'file';
    const workerSrc = String(await rt.render(o.workersrc));
    const masterDest = await resolveForStep(rt, o.masterdest, 'masterdest', o.allowedRoot);
    // A directory upload creates masterdest itself, once the tree arrived whole: a refused one leaves nothing.
    if (isFile) await mkdir(dirname(masterDest), { recursive: true });
    const shown = isFile ? basename(workerSrc) : workerSrc;
    await rt.setStateString(`uploading ${shown}`);
    const transfer: UploadTransfer = {
      workdir: rt.workdir, workerSrc, masterDest, maxsize: o.maxsize ?? null, blocksize: o.blocksize ?? DEFAULT_UPLOAD_BLOCKSIZE,
    };
    const res = await rt.runRemote((w, b, cb) => kind.start(w, b, transfer, cb));
    const result = await transferOutcome(rt, res, isFile ? `upload of ${workerSrc}` : `upload of directory ${workerSrc}`);
    if (result === Results.SUCCESS && o.url) {
      const defaultText = isFile ? basename(masterDest) : workerSrc;
      await rt.addURL(String(await rt.render(o.urlText ?? defaultText)), String(await rt.render(o.url)));
    }
    await setSummary(rt, o, `uploaded ${shown}`, result);
    return result;
  });
}
