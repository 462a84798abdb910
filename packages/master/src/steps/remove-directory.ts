/** `steps.removeDirectory({ dir })`: removes a directory tree on the worker, relative to the builder directory. */
import type { BuildStep, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { BaseStep, makeFactory, requireOption } from './factory.js';
import { rmdir } from './remote-ops.js';
import { fsOutcome } from './worker-dir-common.js';

export interface RemoveDirectoryOptions extends StepOptions {
  dir: MaybeRenderable<string | string[]>;
}

export class RemoveDirectoryStep extends BaseStep<RemoveDirectoryOptions> implements BuildStep {
  constructor(options: Readonly<RemoveDirectoryOptions>) { super('RemoveDirectory', options); }

  async run(rt: StepRuntime): Promise<Result> {
    const dir = (await rt.render(this.options.dir)) as string | string[];
    const res = await rmdir(rt, dir, { timeout: this.options.timeout ?? undefined });
    return fsOutcome(rt, res, `rmdir ${Array.isArray(dir) ? dir.join(', ') : dir}`);
  }
}

export function removeDirectory(options: RemoveDirectoryOptions): StepFactory<RemoveDirectoryOptions> {
  requireOption('removeDirectory', options, 'dir');
  return makeFactory('removeDirectory', options, (o) => new RemoveDirectoryStep(o));
}
