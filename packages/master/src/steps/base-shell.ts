/**
 * What shell-like steps share: the options Buildbot's ShellMixin accepts, rendering them for one
 * build, and turning the finished command into a result (decodeRC, warning counting).
 */
import type { MaybeRenderable, RunCommandOptions, StepCommandResult, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { StepConfigError } from './errors.js';
import { LineScanner, updateText } from './line-scanner.js';
import { commandOutcome, DEFAULT_DECODE_RC, type DecodeRC } from './outcome.js';
import { runShell, type ShellInvocation } from './remote-ops.js';
import { setSummary } from './summary.js';

export type CommandSpec = string | ReadonlyArray<MaybeRenderable<string | number>>;

export interface ShellCommandOptions extends StepOptions {
  /** A list (run directly, no shell) or a string (run by the worker's shell). */
  command: MaybeRenderable<CommandSpec>;
  want_stdout?: boolean;
  want_stderr?: boolean;
  /** Worker files followed into logs: `{ testlog: 'build/test.log' }`. */
  logfiles?: Record<string, string | { filename: string; follow?: boolean }>;
  /** Seconds between SIGTERM and SIGKILL on interrupt (worker option). */
  sigtermTime?: number | null;
  interruptSignal?: string | null;
  initialStdin?: MaybeRenderable<string> | null;
  usePTY?: boolean;
  /** Exit code -> result; unlisted codes are FAILURE. Default `{0: SUCCESS}`. */
  decodeRC?: Readonly<Record<number, Result>>;
  /** Name of the log receiving stdout/stderr (default 'stdio'). */
  stdioLogName?: string;
  /** Lines matching it are counted as warnings: any makes a successful step WARNINGS. */
  warningPattern?: string | RegExp | null;
  /** More warnings than this make the step FAILURE. */
  maxWarnCount?: number | null;
  /** Lines kept in the 'warnings' log (the count covers all). Default 1000. */
  maxWarningLines?: number;
}

export const SHELL_OPTION_NAMES = [
  'command', 'want_stdout', 'want_stderr', 'logfiles', 'sigtermTime', 'interruptSignal', 'initialStdin',
  'usePTY', 'decodeRC', 'stdioLogName', 'warningPattern', 'maxWarnCount', 'maxWarningLines',
] as const;

export function validateShellOptions(stepType: string, o: Partial<ShellCommandOptions>, commandRequired = true): void {
  if (commandRequired && (o.command === undefined || o.command === null || o.command === '' ||
      (Array.isArray(o.command) && o.command.length === 0))) {
    throw new StepConfigError(stepType, 'command', 'is required: a list such as ["make", "test"] or a shell string');
  }
  if (o.decodeRC !== undefined) {
    for (const [rc, r] of Object.entries(o.decodeRC)) {
      if (!Number.isInteger(Number(rc)) || !Object.values(Results).includes(r as Result)) {
        throw new StepConfigError(stepType, `decodeRC.${rc}`, 'must map an integer exit code to a result code (0..6)');
      }
    }
  }
  if (o.warningPattern && typeof o.warningPattern === 'string') {
    try { new RegExp(o.warningPattern); } catch (e) {
      throw new StepConfigError(stepType, 'warningPattern', `is not a valid regular expression: ${(e as Error).message}`);
    }
  }
}

/** Renders the command (a string stays a string; list items are rendered and stringified). */
export async function renderCommand(rt: StepRuntime, command: MaybeRenderable<CommandSpec>): Promise<string | string[]> {
  const c = await rt.render(command);
  if (typeof c === 'string') return c;
  if (Array.isArray(c)) return c.flat(Infinity).filter((x) => x !== null && x !== undefined).map(String);
  throw new Error(`the command rendered to ${typeof c}; expected a string or a list of strings`);
}

/**
 * Buildbot's ShellMixin env: the builder's `env` (rendered) with the step's own over it; null when
 * both are empty. Values may be lists (the worker joins them with its path separator).
 */
async function commandEnv(rt: StepRuntime, stepEnv: ShellCommandOptions['env']): Promise<Record<string, string | string[]> | null> {
  const builder = rt.build.builderEnv && Object.keys(rt.build.builderEnv).length ? await rt.render(rt.build.builderEnv) : {};
  const own = stepEnv ? await rt.render(stepEnv) : {};
  const env = { ...builder, ...own };
  return Object.keys(env).length ? env : null;
}

export async function renderInvocation(rt: StepRuntime, o: ShellCommandOptions, command?: string | string[]): Promise<ShellInvocation> {
  return {
    command: command ?? (await renderCommand(rt, o.command)),
    workdir: rt.workdir,
    env: await commandEnv(rt, o.env),
    wantStdout: o.want_stdout,
    wantStderr: o.want_stderr,
    logfiles: o.logfiles,
    timeout: o.timeout,
    maxTime: o.maxTime,
    sigtermTime: o.sigtermTime,
    initialStdin: o.initialStdin ? await rt.render(o.initialStdin) : null,
    interruptSignal: o.interruptSignal,
    logEnviron: o.logEnviron,
    usePTY: o.usePTY,
  };
}

/**
 * Short display form of a command for a step summary, by Buildbot's command_to_string rules: a
 * string is split on whitespace; up to two words are shown whole (`'make test'`), longer commands
 * as their first two words and an ellipsis (`'sh -c ...'`). null when there are no words.
 *
 * `redact` removes secrets: when the command holds one, the words are those of the redacted
 * command (`'curl -u <token> ...'`), so no summary shows part of a secret that the words cut
 * (a secret with a space, or split over two list items, is never matched word by word).
 */
export function commandSummary(command: unknown, redact: (text: string) => string = (t) => t): string | null {
  let words = typeof command === 'string' ? command.split(/\s+/).filter(Boolean)
    : Array.isArray(command) ? command.flat(Infinity).filter((w): w is string => typeof w === 'string') : [];
  const joined = words.join(' ');
  const redacted = redact(joined);
  if (redacted !== joined) words = redacted.split(/\s+/).filter(Boolean);
  if (!words.length) return null;
  return words.length < 3 ? `'${words.join(' ')}'` : `'${words.slice(0, 2).join(' ')} ...'`;
}

/**
 * The final summary of a shell-like step (Buildbot's ShellMixin.getResultSummary): the command
 * summary, then the result in parentheses unless it is success (`'false' (failure)`,
 * `'make all' (warnings)`, `'sleep 60' (cancelled)`). A descriptionDone, when the user set one,
 * wins (the engine composes it); a command without words leaves the summary to the engine too.
 */
export async function setCommandSummary(rt: StepRuntime, options: Readonly<StepOptions>, command: unknown, result: Result): Promise<void> {
  const text = commandSummary(command, (t) => rt.redact(t));
  if (text !== null) await setSummary(rt, options, text, result);
}

export interface ShellRun {
  res: StepCommandResult;
  result: Result;
  warnings: number;
}

/** Runs one rendered shell invocation with this step's decodeRC and warning rules. */
export async function runShellWithRules(
  rt: StepRuntime,
  o: ShellCommandOptions,
  inv: ShellInvocation,
  extra?: RunCommandOptions,
): Promise<ShellRun> {
  const pattern = o.warningPattern ? (typeof o.warningPattern === 'string' ? new RegExp(o.warningPattern) : o.warningPattern) : null;
  let warnings = 0;
  const kept: string[] = [];
  const maxKept = o.maxWarningLines ?? 1000;
  const scanner = pattern
    ? new LineScanner((line) => {
        if (!pattern.test(line)) return;
        warnings++;
        if (kept.length < maxKept) kept.push(line);
      })
    : null;
  const runOpts: RunCommandOptions = { stdioLog: o.stdioLogName ?? 'stdio', ...extra };
  if (scanner) {
    const inner = runOpts.onUpdate;
    runOpts.onUpdate = (pair) => {
      if (pair[0] === 'stdout' || pair[0] === 'stderr') {
        const t = updateText(pair[1]);
        if (t) scanner.push(t);
      }
      inner?.(pair);
    };
  }
  const res = await runShell(rt, inv, runOpts);
  let result = commandOutcome(res, (o.decodeRC as DecodeRC | undefined) ?? DEFAULT_DECODE_RC);
  if (scanner) {
    scanner.flush();
    if (warnings > 0) {
      const log = await rt.addLog('warnings', 't');
      log.addContent(kept.join('\n') + '\n' + (warnings > kept.length ? `... ${warnings - kept.length} more\n` : ''));
      await log.finish();
      if (result === Results.SUCCESS) result = Results.WARNINGS;
      if (o.maxWarnCount != null && warnings > o.maxWarnCount && result === Results.WARNINGS) {
        result = Results.FAILURE;
      }
    }
  }
  return { res, result, warnings };
}
