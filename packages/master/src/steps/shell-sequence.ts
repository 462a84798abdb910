/**
 * `steps.shellSequence({ commands: [{ command, logname?, haltOnFailure? ... }] })`: several commands
 * in one step, each with its own result rules (Buildbot's ShellSequence + ShellArg).
 */
import type { BuildStep, MaybeRenderable, StepFactory, StepRuntime } from '../process/step-types.js';
import { foldResult, Results, RESULT_RULE_KEYS, type Result, type ResultRules } from '../model/results.js';
import { BaseStep, makeFactory } from './factory.js';
import { StepConfigError } from './errors.js';
import { renderCommand, renderInvocation, runShellWithRules, validateShellOptions, type CommandSpec, type ShellCommandOptions } from './base-shell.js';

export interface ShellArg extends ResultRules {
  command: MaybeRenderable<CommandSpec>;
  /** Log receiving this command's output (default: the step's stdio log). */
  logname?: string;
}

export interface ShellSequenceOptions extends Omit<ShellCommandOptions, 'command'> {
  commands: MaybeRenderable<ReadonlyArray<ShellArg>>;
}

function validateArg(arg: unknown, i: number): void {
  if (typeof arg !== 'object' || arg === null || !('command' in arg)) {
    throw new StepConfigError('shellSequence', `commands[${i}]`, 'must be an object with a command, e.g. { command: ["make"] }');
  }
  for (const k of Object.keys(arg)) {
    if (k !== 'command' && k !== 'logname' && !(RESULT_RULE_KEYS as readonly string[]).includes(k)) {
      throw new StepConfigError('shellSequence', `commands[${i}].${k}`, `is not a ShellArg option (use command, logname, ${RESULT_RULE_KEYS.join(', ')})`);
    }
  }
}

export class ShellSequenceStep extends BaseStep<ShellSequenceOptions> implements BuildStep {
  constructor(options: Readonly<ShellSequenceOptions>) {
    super('shellSequence', options);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const commands = (await rt.render(this.options.commands)) as ShellArg[] | null;
    if (!Array.isArray(commands)) {
      const log = await rt.addLog('err.text', 't');
      log.addContent('shellSequence: commands did not render to a list\n');
      await log.finish();
      return Results.EXCEPTION;
    }
    let overall: Result = Results.SUCCESS;
    for (const arg of commands) {
      const command = await renderCommand(rt, arg.command);
      if (command.length === 0) continue; // an empty command is skipped, as in Buildbot
      const opts: ShellCommandOptions = { ...this.options, command, stdioLogName: arg.logname ?? this.options.stdioLogName };
      const inv = await renderInvocation(rt, opts, command);
      const { result } = await runShellWithRules(rt, opts, inv);
      const folded = foldResult(arg, result, overall);
      overall = folded.result;
      if (folded.terminate) break;
    }
    return overall;
  }
}

export function shellSequence(options: ShellSequenceOptions): StepFactory<ShellSequenceOptions> {
  if (options.commands === undefined || options.commands === null) {
    throw new StepConfigError('shellSequence', 'commands', 'is required: a list of { command } objects');
  }
  if (Array.isArray(options.commands)) options.commands.forEach(validateArg);
  validateShellOptions('shellSequence', options as Partial<ShellCommandOptions>, false);
  return makeFactory('shellSequence', options, (o) => new ShellSequenceStep(o));
}
