/**
 * `steps.stringDownload({ s, workerdest })` writes a string (rendered) to a worker file;
 * `steps.jsonStringDownload({ o, workerdest })` writes a value as JSON.
 */
import { basename } from 'node:path';
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { BaseStep, checkPositive, makeFactory, requireOption } from './factory.js';
import { StepConfigError } from './errors.js';
import { DEFAULT_DOWNLOAD_BLOCKSIZE, failWith, transferOutcome } from './transfer-common.js';
import { downloadData } from './remote-ops.js';

export interface StringDownloadOptions extends StepOptions {
  s: MaybeRenderable<string>;
  workerdest: MaybeRenderable<string>;
  maxsize?: number | null;
  blocksize?: number;
  mode?: number | null;
}

export interface JsonStringDownloadOptions extends Omit<StringDownloadOptions, 's'> {
  o: unknown;
}

export class StringDownloadStep extends BaseStep<StringDownloadOptions> implements BuildStep {
  constructor(options: Readonly<StringDownloadOptions>, private readonly toText: (rendered: unknown) => string = String) {
    super('string_download', options);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    const text = this.toText(await rt.render(o.s));
    const workerDest = String(await rt.render(o.workerdest));
    const data = Buffer.from(text, 'utf8');
    if (o.maxsize != null && data.length > o.maxsize) return failWith(rt, `the string is ${data.length} bytes, more than maxsize ${o.maxsize}`);
    await rt.setStateString(`downloading to ${basename(workerDest)}`);
    const res = await downloadData(rt, data, workerDest, rt.workdir, { mode: o.mode ?? null, maxsize: o.maxsize ?? null, blocksize: o.blocksize ?? DEFAULT_DOWNLOAD_BLOCKSIZE });
    const result = await transferOutcome(rt, res, `download to ${workerDest}`);
    await setSummary(rt, o, `downloaded to ${basename(workerDest)}`, result);
    return result;
  }
}

export function stringDownload(options: StringDownloadOptions): StepFactory<StringDownloadOptions> {
  if (options.s === undefined || options.s === null) throw new StepConfigError('stringDownload', 's', 'is required (the text to write)');
  requireOption('stringDownload', options, 'workerdest');
  checkPositive('stringDownload', 'maxsize', options.maxsize);
  return makeFactory('stringDownload', options, (o) => new StringDownloadStep(o));
}

export function jsonStringDownload(options: JsonStringDownloadOptions): StepFactory<JsonStringDownloadOptions> {
  requireOption('jsonStringDownload', options, 'workerdest');
  return makeFactory('jsonStringDownload', options, (o) =>
    new StringDownloadStep({ ...o, s: o.o as MaybeRenderable<string> }, (v) => JSON.stringify(v)));
}
