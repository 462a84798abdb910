/** `steps.shell({ command })`: runs a command on the worker (Buildbot's ShellCommand). */
import type { BuildStep, StepFactory, StepRuntime } from '../process/step-types.js';
import type { Result } from '../process/results.js';
import { setSummary } from './summary.js';
import { BaseStep, makeFactory } from './factory.js';
import { commandSummary, renderInvocation, runShellWithRules, validateShellOptions, type ShellCommandOptions } from './base-shell.js';

export type ShellOptions = ShellCommandOptions;

export class ShellStep extends BaseStep<ShellOptions> implements BuildStep {
  constructor(options: Readonly<ShellOptions>) {
    super('shell', options);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const inv = await renderInvocation(rt, this.options);
    const describe = this.options.description === undefined;
    if (describe) await rt.setStateString(commandSummary(inv.command as string | string[]));
    const { result, warnings } = await runShellWithRules(rt, this.options, inv);
    // With a user description the engine composes the summary; otherwise show the command (and warnings).
    if (describe) {
      const text = commandSummary(inv.command as string | string[]) + (warnings ? ` ${warnings} warnings` : '');
      await setSummary(rt, this.options, text, result);
    }
    return result;
  }
}

export function shell(options: ShellOptions): StepFactory<ShellOptions> {
  validateShellOptions('shell', options);
  return makeFactory('shell', options, (o) => new ShellStep(o));
}
