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
  /**
   * Limit in bytes on the transferred tar (as in Buildbot, where the worker stops sending) and, in
   * mastro, on the file content once extracted: a small gzip can expand to far more than it weighs.
   * Over either, the step fails and nothing is left on the master. Default: no limit beyond the
   * master's `protocols.msgpack.maxUploadSize` (2 GiB).
   */
  maxsize?: number | null;
  /**
   * Most files, directories and links the uploaded tree may have; over it the step fails and
   * nothing is left on the master. Default: the master's `protocols.msgpack.maxUploadEntries`
   * (100,000), which also caps this.
   */
  maxEntries?: number | null;
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
      start: (w, b, transfer, cb) => w.uploadDirectory(b, { ...transfer, maxEntries: o.maxEntries ?? null, compress: o.compress ?? null }, cb),
    });
  }
}

export function directoryUpload(options: DirectoryUploadOptions): StepFactory<DirectoryUploadOptions> {
  requireOption('directoryUpload', options, 'workersrc');
  requireOption('directoryUpload', options, 'masterdest');
  checkOneOf('directoryUpload', 'compress', options.compress ?? undefined, ['gz', 'bz2']);
  checkPositive('directoryUpload', 'maxsize', options.maxsize);
  checkPositive('directoryUpload', 'maxEntries', options.maxEntries);
  return makeFactory('directoryUpload', options, (o) => new DirectoryUploadStep(o));
}
