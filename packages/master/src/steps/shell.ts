/** `steps.shell({ command })`: runs a command on the worker (Buildbot's ShellCommand). */
import type { BuildStep, StepFactory, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { BaseStep, makeFactory } from './factory.js';
import { commandSummary, renderInvocation, setCommandSummary, runShellWithRules, validateShellOptions, type ShellCommandOptions } from './base-shell.js';

export type ShellOptions = ShellCommandOptions;

export class ShellStep extends BaseStep<ShellOptions> implements BuildStep {
  constructor(options: Readonly<ShellOptions>) {
    super('shell', options);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const inv = await renderInvocation(rt, this.options);
    // While running, a user description stays (the engine shows it); otherwise show the command.
    const running = commandSummary(inv.command, (t) => rt.redact(t));
    if (this.options.description === undefined && running !== null) await rt.setStateString(running);
    const { result } = await runShellWithRules(rt, this.options, inv);
    // Like Buildbot, the final summary is the command (a description only describes the running step).
    await setCommandSummary(rt, this.options, inv.command, result);
    return result;
  }
}

export function shell(options: ShellOptions): StepFactory<ShellOptions> {
  validateShellOptions('shell', options);
  return makeFactory('shell', options, (o) => new ShellStep(o));
}
