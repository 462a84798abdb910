/** `steps.fileExists({ file })`: SUCCESS if the worker path (relative to the builder directory) is a regular file. */
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { BaseStep, makeFactory, requireOption } from './factory.js';
import { commandOutcome, isFatal } from './outcome.js';

export interface FileExistsOptions extends StepOptions {
  file: MaybeRenderable<string>;
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

export class FileExistsStep extends BaseStep<FileExistsOptions> implements BuildStep {
  constructor(options: Readonly<FileExistsOptions>) { super('FileExists', options); }

  async run(rt: StepRuntime): Promise<Result> {
    const file = String(await rt.render(this.options.file));
    const res = await rt.runCommand('stat', { file }, { stdioLog: null });
    const r = commandOutcome(res);
    if (isFatal(r)) return r;
    const st = res.updates.stat;
    if (res.rc !== 0 || !Array.isArray(st)) {
      await setSummary(rt, this.options, `File not found: ${file}`, Results.FAILURE);
      return Results.FAILURE;
    }
    if ((Number(st[0]) & S_IFMT) !== S_IFREG) {
      await setSummary(rt, this.options, `Not a file: ${file}`, Results.FAILURE);
      return Results.FAILURE;
    }
    await setSummary(rt, this.options, `File found: ${file}`, Results.SUCCESS);
    return Results.SUCCESS;
  }
}

export function fileExists(options: FileExistsOptions): StepFactory<FileExistsOptions> {
  requireOption('fileExists', options, 'file');
  return makeFactory('fileExists', options, (o) => new FileExistsStep(o));
}
