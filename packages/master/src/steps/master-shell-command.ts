/**
 * `steps.masterShellCommand({ command })`: runs a command on the MASTER host (publishing artifacts,
 * notifying a service). Output goes to the step's stdio log; stopping the build stops the command
 * (SIGTERM to its process group, SIGKILL after `sigtermTime` seconds).
 */
import { spawn } from 'node:child_process';
import { delimiter, resolve } from 'node:path';
import type { BuildStep, StepLog, MaybeRenderable, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { BaseStep, makeFactory } from './factory.js';
import { StepConfigError } from './errors.js';
import { setSummary } from './summary.js';
import { renderCommand, type CommandSpec } from './base-shell.js';
import { DEFAULT_DECODE_RC, type DecodeRC } from './outcome.js';

export interface MasterShellCommandOptions extends StepOptions {
  command: MaybeRenderable<CommandSpec>;
  /** Seconds between SIGTERM and SIGKILL when interrupted. Default 5. */
  sigtermTime?: number;
  decodeRC?: DecodeRC;
  /** Variables added to (not replacing) the master's environment; list values are joined with the path delimiter. */
  env?: MaybeRenderable<Record<string, MaybeRenderable<string | string[]>>>;
  /** Directory on the master, relative to the master directory (default: the master directory). */
  workdir?: MaybeRenderable<string>;
}

export class MasterShellCommandStep extends BaseStep<MasterShellCommandOptions> implements BuildStep {
  private kill?: (reason: string) => void;

  constructor(options: Readonly<MasterShellCommandOptions>) { super('MasterShellCommand', options); }

  interrupt(reason: string): void {
    this.kill?.(reason);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    const command = await renderCommand(rt, o.command);
    const cwd = resolve(rt.build.masterDir, o.workdir ? String(await rt.render(o.workdir)) : '.');
    const extraEnv = (o.env ? await rt.render(o.env) : {}) as Record<string, string | string[]>;
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(extraEnv)) env[k] = Array.isArray(v) ? v.join(delimiter) : String(v);
    const log = await rt.addLog('stdio');
    const shown = typeof command === 'string' ? command : command.join(' ');
    log.addHeader(`${shown}\n in dir ${cwd}\n`);
    if (rt.isStopped()) { await log.finish(); return Results.CANCELLED; }
    try {
      const { code, signal, interrupted } = await this.spawnAndWait(rt, command, cwd, env, log);
      log.addHeader(interrupted ? `\ninterrupted (${interrupted})\n` : `\nprogram finished with exit code ${code ?? `signal ${signal}`}\n`);
      if (interrupted) return Results.CANCELLED;
      // Buildbot's MasterShellCommand says "Ran", "failed (RC)" or "killed (SIGNAL)".
      const result = code === null ? Results.FAILURE : (o.decodeRC ?? DEFAULT_DECODE_RC)[code] ?? Results.FAILURE;
      const text = code === null ? `killed (${signal})` : result === Results.SUCCESS || result === Results.WARNINGS ? 'Ran' : `failed (${code})`;
      await setSummary(rt, o, text, result);
      return result;
    } finally {
      await log.finish();
    }
  }

  private spawnAndWait(rt: StepRuntime, command: string | string[], cwd: string, env: NodeJS.ProcessEnv, log: StepLog) {
    return new Promise<{ code: number | null; signal: NodeJS.Signals | null; interrupted?: string }>((done, fail) => {
      const argv = typeof command === 'string'
        ? (process.platform === 'win32' ? ['cmd.exe', '/c', command] : ['/bin/sh', '-c', command])
        : command;
      // Own process group, so an interrupt reaches the command's children too.
      const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: process.platform !== 'win32', stdio: ['ignore', 'pipe', 'pipe'] });
      let interrupted: string | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      const signalGroup = (sig: NodeJS.Signals) => {
        try { if (child.pid) process.kill(process.platform === 'win32' ? child.pid : -child.pid, sig); } catch { /* already gone */ }
      };
      this.kill = (reason) => {
        if (interrupted || child.exitCode !== null) return;
        interrupted = reason;
        signalGroup('SIGTERM');
        killTimer = setTimeout(() => signalGroup('SIGKILL'), (this.options.sigtermTime ?? 5) * 1000);
        killTimer.unref();
      };
      const offStop = rt.onStop((reason) => this.kill?.(reason));
      child.stdout.setEncoding('utf8').on('data', (t: string) => log.addStdout(t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => log.addStderr(t));
      child.on('error', (err) => { offStop(); fail(new Error(`masterShellCommand could not start ${argv[0]}: ${err.message}`)); });
      child.on('close', (code, signal) => {
        offStop();
        if (killTimer) clearTimeout(killTimer);
        this.kill = undefined;
        done({ code, signal, interrupted });
      });
    });
  }
}

export function masterShellCommand(options: MasterShellCommandOptions): StepFactory<MasterShellCommandOptions> {
  if (options.command === undefined || options.command === null || options.command === '') {
    throw new StepConfigError('masterShellCommand', 'command', 'is required: a list such as ["rsync", "-a", "out/", "/srv/www"] or a shell string');
  }
  return makeFactory('masterShellCommand', options, (o) => new MasterShellCommandStep(o));
}
