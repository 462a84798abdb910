/** `steps.copyDirectory({ src, dest })`: copies a directory tree on the worker (paths relative to the builder directory). */
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { BaseStep, makeFactory, requireOption } from './factory.js';
import { cpdir } from './remote-ops.js';
import { fsOutcome } from './worker-dir-common.js';

export interface CopyDirectoryOptions extends StepOptions {
  src: MaybeRenderable<string>;
  dest: MaybeRenderable<string>;
}

export class CopyDirectoryStep extends BaseStep<CopyDirectoryOptions> implements BuildStep {
  constructor(options: Readonly<CopyDirectoryOptions>) { super('CopyDirectory', options); }

  async run(rt: StepRuntime): Promise<Result> {
    const src = String(await rt.render(this.options.src));
    const dest = String(await rt.render(this.options.dest));
    const res = await cpdir(rt, src, dest, { timeout: this.options.timeout ?? undefined });
    return fsOutcome(rt, res, `copy ${src} -> ${dest}`);
  }
}

export function copyDirectory(options: CopyDirectoryOptions): StepFactory<CopyDirectoryOptions> {
  requireOption('copyDirectory', options, 'src');
  requireOption('copyDirectory', options, 'dest');
  return makeFactory('copyDirectory', options, (o) => new CopyDirectoryStep(o));
}
