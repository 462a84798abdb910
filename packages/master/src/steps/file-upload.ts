/** `steps.fileUpload({ workersrc, masterdest })`: copies one file from the worker to the master. */
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { BaseStep, checkPositive, makeFactory, requireOption } from './factory.js';
import type { MasterPathOption } from './transfer-common.js';
import { runUpload } from './upload-step.js';

export interface FileUploadOptions extends StepOptions, MasterPathOption {
  /** Path on the worker, relative to the step's workdir. */
  workersrc: MaybeRenderable<string>;
  /** Path on the master, relative to the master directory; must stay inside allowedRoot. */
  masterdest: MaybeRenderable<string>;
  /**
   * Refuse files larger than this many bytes: the worker stops sending and the step fails (as in
   * Buildbot); a worker that sends more anyway gets the upload refused, never a truncated file.
   * Default: no limit beyond the master's `protocols.msgpack.maxUploadSize` (2 GiB).
   */
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
    const o = this.options;
    return runUpload(rt, o, {
      target: 'file',
      start: (w, b, transfer, cb) => w.uploadFile(b, { ...transfer, keepstamp: o.keepstamp ?? false, mode: o.mode ?? null }, cb),
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
