/** `steps.directoryUpload({ workersrc, masterdest })`: copies a directory tree from the worker to the master. */
import { mkdir } from 'node:fs/promises';
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../process/results.js';
import { setSummary } from './summary.js';
import { BaseStep, checkOneOf, checkPositive, makeFactory, requireOption } from './factory.js';
import { DEFAULT_UPLOAD_BLOCKSIZE, refusalsFail, resolveForStep, transferOutcome, type MasterPathOption } from './transfer-common.js';

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
    return refusalsFail(rt, async () => {
      const o = this.options;
      const workerSrc = String(await rt.render(o.workersrc));
      const masterDest = await resolveForStep(rt, o.masterdest, 'masterdest', o.allowedRoot);
      await mkdir(masterDest, { recursive: true });
      await rt.setStateString(`uploading ${workerSrc}`);
      const res = await rt.runRemote((w, b, cb) => w.uploadDirectory(b, {
        workdir: rt.workdir, workerSrc, masterDest, maxsize: o.maxsize ?? null,
        blocksize: o.blocksize ?? DEFAULT_UPLOAD_BLOCKSIZE, compress: o.compress ?? null,
      }, cb));
      const result = await transferOutcome(rt, res, `upload of directory ${workerSrc}`);
      if (result === Results.SUCCESS && o.url) {
        await rt.addURL(String(await rt.render(o.urlText ?? workerSrc)), String(await rt.render(o.url)));
      }
      await setSummary(rt, o, `uploaded ${workerSrc}`, result);
      return result;
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
