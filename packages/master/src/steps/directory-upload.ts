/** `steps.directoryUpload({ workersrc, masterdest })`: copies a directory tree from the worker to the master. */
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { BaseStep, checkOneOf, checkPositive, makeFactory, requireOption } from './factory.js';
import type { MasterPathOption } from './transfer-common.js';
import { runUpload } from './upload-step.js';

export interface DirectoryUploadOptions extends StepOptions, MasterPathOption {
  workersrc: MaybeRenderable<string>;
  /** Directory on the master (created if needed); must stay inside allowedRoot. */
  masterdest: MaybeRenderable<string>;
  /** Limit on the transferred (tar) bytes. Default: no limit. */
  maxsize?: number | null;
  blocksize?: number;
  /** Compress the tar stream on the wire. */
  compress?: 'gz' | 'bz2' | null;
  url?: MaybeRenderable<string> | null;
  urlText?: MaybeRenderable<string> | null;
}

export class DirectoryUploadStep extends BaseStep<DirectoryUploadOptions> implements BuildStep {
  constructor(options: Readonly<DirectoryUploadOptions>) {
    super('upload', options);
  }

  run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    return runUpload(rt, o, {
      target: 'directory',
      start: (w, b, transfer, cb) => w.uploadDirectory(b, { ...transfer, compress: o.compress ?? null }, cb),
    });
  }
}

export function directoryUpload(options: DirectoryUploadOptions): StepFactory<DirectoryUploadOptions> {
  requireOption('directoryUpload', options, 'workersrc');
  requireOption('directoryUpload', options, 'masterdest');
  checkOneOf('directoryUpload', 'compress', options.compress ?? undefined, ['gz', 'bz2']);
  checkPositive('directoryUpload', 'maxsize', options.maxsize);
  return makeFactory('directoryUpload', options, (o) => new DirectoryUploadStep(o));
}
