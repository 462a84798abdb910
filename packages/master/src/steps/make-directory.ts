/** `steps.makeDirectory({ dir })`: creates a directory (and parents) on the worker, relative to the builder directory. */
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { BaseStep, makeFactory, requireOption } from './factory.js';
import { mkdir } from './remote-ops.js';
import { fsOutcome } from './worker-dir-common.js';

export interface MakeDirectoryOptions extends StepOptions {
  dir: MaybeRenderable<string>;
}

export class MakeDirectoryStep extends BaseStep<MakeDirectoryOptions> implements BuildStep {
  constructor(options: Readonly<MakeDirectoryOptions>) { super('MakeDirectory', options); }

  async run(rt: StepRuntime): Promise<Result> {
    const dir = String(await rt.render(this.options.dir));
    return fsOutcome(rt, await mkdir(rt, dir), `mkdir ${dir}`);
  }
}

export function makeDirectory(options: MakeDirectoryOptions): StepFactory<MakeDirectoryOptions> {
  requireOption('makeDirectory', options, 'dir');
  return makeFactory('makeDirectory', options, (o) => new MakeDirectoryStep(o));
}
