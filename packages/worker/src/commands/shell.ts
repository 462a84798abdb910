/** `shell`: runs a program or a shell string in `workdir` (Buildbot's WorkerShellCommand). */
import { RunProcess, type CommandLine } from '../process/run-process.js';
import type { TreeSignal } from '../process/kill-tree.js';
import { CommandArgsError, argNumberOrNull, argString, type CommandDefinition, type CommandContext, type WorkerCommand } from './types.js';

const SIGNALS = new Set(['TERM', 'KILL', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2']);

class ShellCommand implements WorkerCommand {
  private process: RunProcess | null = null;
  private interruptedWhy: string | null = null;

  constructor(private readonly ctx: CommandContext) {}

  async run(): Promise<void> {
    const a = this.ctx.args;
    const command = a.command;
    if (typeof command !== 'string' && !Array.isArray(command)) throw new CommandArgsError("argument 'command' must be a string or a list");
    const workdir = this.ctx.resolvePath(argString(a, 'workdir'));
    const signal = a.interruptSignal;
    if (signal != null && (typeof signal !== 'string' || !SIGNALS.has(signal))) throw new CommandArgsError(`unsupported interruptSignal ${JSON.stringify(signal)}`);
    const env = a.env;
    if (env != null && (typeof env !== 'object' || Array.isArray(env))) throw new CommandArgsError("argument 'env' must be a mapping");
    this.process = new RunProcess({
      command: command as CommandLine,
      workdir,
      env: env as Record<string, unknown> | null,
      timeout: argNumberOrNull(a, 'timeout'),
      maxTime: argNumberOrNull(a, 'maxTime') ?? argNumberOrNull(a, 'max_time'),
      sigtermTime: argNumberOrNull(a, 'sigtermTime'),
      interruptSignal: (signal as TreeSignal | undefined) ?? undefined,
      sendStdout: a.want_stdout === undefined ? true : !!a.want_stdout,
      sendStderr: a.want_stderr === undefined ? true : !!a.want_stderr,
      sendRC: true,
      initialStdin: typeof a.initial_stdin === 'string' ? a.initial_stdin : null,
      logfiles: (a.logfiles ?? {}) as Record<string, string>,
      logEnviron: a.logEnviron === undefined ? true : !!a.logEnviron,
      killGraceMs: this.ctx.killGraceMs,
      groups: this.ctx.processGroups,
      sendUpdate: (pairs) => this.ctx.sendStatus(pairs),
      flow: this.ctx,
      log: this.ctx.log,
    });
    const running = this.process.run();
    if (this.interruptedWhy !== null) this.process.kill('command interrupted');
    await running;
  }

  interrupt(why: string): void {
    this.interruptedWhy = why;
    this.process?.kill('command interrupted');
  }
}

export const shell: CommandDefinition = {
  name: 'shell',
  requiredArgs: ['workdir', 'command'],
  create: (ctx) => new ShellCommand(ctx),
};
