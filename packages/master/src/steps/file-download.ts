/** `steps.fileDownload({ mastersrc, workerdest })`: copies one master file to the worker. */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { BaseStep, checkPositive, makeFactory, requireOption } from './factory.js';
import { DEFAULT_DOWNLOAD_BLOCKSIZE, failWith, refusalsFail, resolveForStep, transferOutcome, type MasterPathOption } from './transfer-common.js';

export interface FileDownloadOptions extends StepOptions, MasterPathOption {
  /** Master file, relative to the master directory; must stay inside allowedRoot. */
  mastersrc: MaybeRenderable<string>;
  /** Path on the worker, relative to the step's workdir. */
  workerdest: MaybeRenderable<string>;
  /** Refuse sources larger than this many bytes. Default: no limit. */
  maxsize?: number | null;
  blocksize?: number;
  /** File mode on the worker, e.g. 0o755 for a script. */
  mode?: number | null;
}

export class FileDownloadStep extends BaseStep<FileDownloadOptions> implements BuildStep {
  constructor(options: Readonly<FileDownloadOptions>) {
    super('download', options);
  }

  run(rt: StepRuntime): Promise<Result> {
    return refusalsFail(rt, async () => {
      const o = this.options;
      const source = await resolveForStep(rt, o.mastersrc, 'mastersrc', o.allowedRoot);
      const workerDest = String(await rt.render(o.workerdest));
      const st = await stat(source).catch(() => undefined);
      if (!st || !st.isFile()) {
        return failWith(rt, `mastersrc ${source} ${st ? 'is not a regular file' : 'does not exist'} on the master`);
      }
      if (o.maxsize != null && st.size > o.maxsize) {
        return failWith(rt, `mastersrc ${source} is ${st.size} bytes, more than maxsize ${o.maxsize}`);
      }
      await rt.setStateString(`downloading to ${basename(workerDest)}`);
      const res = await rt.runRemote((w, b, cb) => w.downloadFile(b, {
        workdir: rt.workdir, source: { path: source }, workerDest, maxsize: o.maxsize ?? null,
        blocksize: o.blocksize ?? DEFAULT_DOWNLOAD_BLOCKSIZE, mode: o.mode ?? null,
      }, cb));
      const result = await transferOutcome(rt, res, `download to ${workerDest}`);
      await setSummary(rt, o, `downloaded to ${basename(workerDest)}`, result);
      return result;
    });
  }
}

export function fileDownload(options: FileDownloadOptions): StepFactory<FileDownloadOptions> {
  requireOption('fileDownload', options, 'mastersrc');
  requireOption('fileDownload', options, 'workerdest');
  checkPositive('fileDownload', 'maxsize', options.maxsize);
  return makeFactory('fileDownload', options, (o) => new FileDownloadStep(o));
}
