/** `steps.fileUpload({ workersrc, masterdest })`: copies one file from the worker to the master. */
import { mkdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../process/results.js';
import { setSummary } from './summary.js';
import { BaseStep, checkPositive, makeFactory, requireOption } from './factory.js';
import { DEFAULT_UPLOAD_BLOCKSIZE, refusalsFail, resolveForStep, transferOutcome, type MasterPathOption } from './transfer-common.js';

export interface FileUploadOptions extends StepOptions, MasterPathOption {
  /** Path on the worker, relative to the step's workdir. */
  workersrc: MaybeRenderable<string>;
  /** Path on the master, relative to the master directory; must stay inside allowedRoot. */
  masterdest: MaybeRenderable<string>;
  /** Refuse files larger than this many bytes (the worker stops sending). Default: no limit. */
  maxsize?: number | null;
  blocksize?: number;
  /** File mode for the master copy, e.g. 0o644. */
  mode?: number | null;
  /** Keep the worker file's access/modification times. */
  keepstamp?: boolean;
  /** A link shown on the step once uploaded (e.g. where the web server serves masterdest). */
  url?: MaybeRenderable<string> | null;
  urlText?: MaybeRenderable<string> | null;
}

export class FileUploadStep extends BaseStep<FileUploadOptions> implements BuildStep {
  constructor(options: Readonly<FileUploadOptions>) {
    super('upload', options);
  }

  run(rt: StepRuntime): Promise<Result> {
    return refusalsFail(rt, async () => {
      const o = this.options;
      const workerSrc = String(await rt.render(o.workersrc));
      const masterDest = await resolveForStep(rt, o.masterdest, 'masterdest', o.allowedRoot);
      await mkdir(dirname(masterDest), { recursive: true });
      await rt.setStateString(`uploading ${basename(workerSrc)}`);
      const res = await rt.runRemote((w, b, cb) => w.uploadFile(b, {
        workdir: rt.workdir, workerSrc, masterDest, maxsize: o.maxsize ?? null,
        blocksize: o.blocksize ?? DEFAULT_UPLOAD_BLOCKSIZE, keepstamp: o.keepstamp ?? false, mode: o.mode ?? null,
      }, cb));
      const result = await transferOutcome(rt, res, `upload of ${workerSrc}`);
      if (result === Results.SUCCESS && o.url) {
        await rt.addURL(String(await rt.render(o.urlText ?? basename(masterDest))), String(await rt.render(o.url)));
      }
      await setSummary(rt, o, `uploaded ${basename(workerSrc)}`, result);
      return result;
    });
  }
}

export function fileUpload(options: FileUploadOptions): StepFactory<FileUploadOptions> {
  requireOption('fileUpload', options, 'workersrc');
  requireOption('fileUpload', options, 'masterdest');
  checkPositive('fileUpload', 'maxsize', options.maxsize);
  checkPositive('fileUpload', 'blocksize', options.blocksize);
  return makeFactory('fileUpload', options, (o) => new FileUploadStep(o));
}
