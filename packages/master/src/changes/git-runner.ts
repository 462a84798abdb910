/**
 * The one way change sources run git (the git poller and the mirror poller). Built on simple-git,
 * whose argument and environment checks refuse the known ways of turning git into a command runner
 * (`--upload-pack`, `-c protocol.*.allow`, `core.sshCommand`, ...), and adding what a long-running
 * master needs around it:
 * - a wall-clock timeout: the command is killed when it runs longer, even while it keeps printing
 *   (simple-git's own `timeout.block` restarts on every byte of output);
 * - an output cap: stdout beyond `maxOutputBytes` kills the command instead of filling memory;
 * - a never-interactive environment (no credential prompts, editors or pagers; C locale);
 * - a non-zero exit is always a failure (simple-git treats one without stderr as success);
 * - credentials scrubbed from error messages (URLs with passwords, and the `secrets` given).
 * Each call gets its own simple-git instance, so the abort signal ends exactly one command.
 */
import { GitError, GitPluginError, simpleGit } from 'simple-git';
import { redactText } from '../util/url-credentials.js';
import { ErrorCodes } from '../errors/catalog.js';
import { GIT_POLLER_OPTION_DEFAULTS } from '../options/changes.js';

export interface GitRunOptions {
  /** The git executable (a name on PATH or a path). */
  gitBin: string;
  /** Working directory (it must exist); default the master's current directory. */
  cwd?: string;
  /** Milliseconds before the command is killed. */
  timeoutMs: number;
  /** Largest stdout kept, in bytes; beyond it the command is killed and fails. Default 64 MiB. */
  maxOutputBytes?: number;
  /** Variables added to the environment (credentials through GIT_SSH_COMMAND or GIT_CONFIG_*). */
  env?: Readonly<Record<string, string>>;
  /** Texts (tokens, passwords) to scrub from error messages. */
  secrets?: readonly string[];
}

/** Declared with the change sources' `gitMaxOutputBytes` (options/changes.ts). */
export const GIT_RUN_DEFAULTS = { maxOutputBytes: GIT_POLLER_OPTION_DEFAULTS.gitMaxOutputBytes } as const;

/** Why a command failed: it exited non-zero, ran too long, printed too much, could not start, or was refused as unsafe. */
export type GitFailure = 'exit' | 'timeout' | 'output' | 'spawn' | 'refused';

export class GitCommandError extends Error {
  readonly code = ErrorCodes.GIT_COMMAND;
  constructor(
    /** `git <args>: <detail>`, credentials scrubbed. */
    message: string,
    /** What went wrong without the command line, e.g. `exit code 128: fatal: ...` (scrubbed). */
    readonly detail: string,
    readonly failure: GitFailure,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    /** The command's stderr, scrubbed (at most 16 KiB). */
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'GitCommandError';
  }
}

/** After a kill, how long to wait for the process to go before giving up on it. */
const KILL_GRACE_MS = 5000;
const MAX_STDERR = 16 * 1024;
/** Interactive helpers a background git never needs; simple-git also refuses to run with most of them set. */
const INTERACTIVE = /^(EDITOR|VISUAL|GIT_EDITOR|GIT_SEQUENCE_EDITOR|PAGER|GIT_PAGER|GIT_ASKPASS|SSH_ASKPASS)$/;

/** The environment git runs in: the master's own minus interactive helpers, never prompting, stable output. */
export function gitEnvironment(extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !INTERACTIVE.test(k)) env[k] = v;
  // GIT_TERMINAL_PROMPT=0: a repository that needs credentials fails fast instead of waiting for a prompt.
  return { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extra };
}

/** A non-zero exit, carried out of simple-git's error hook with its code and stderr (a GitError, so simple-git passes it on as it is). */
class ExitStatus extends GitError {
  constructor(readonly exitCode: number, readonly stderr: string) { super(undefined, `exit code ${exitCode}`); }
}

/** Runs `git <args>` and resolves with its stdout; rejects with a GitCommandError. */
export async function runGit(args: readonly string[], o: GitRunOptions): Promise<string> {
  const max = o.maxOutputBytes ?? GIT_RUN_DEFAULTS.maxOutputBytes;
  const abort = new AbortController();
  // Why this side killed the command (set from the timer or the output handler).
  const halt: { why: { failure: 'timeout' | 'output'; detail: string } | null } = { why: null };
  const stop = (failure: 'timeout' | 'output', detail: string) => { halt.why ??= { failure, detail }; abort.abort(); };
  const fail = (failure: GitFailure, detail: string, exitCode: number | null = null, stderr = '') => {
    const cleanDetail = redactText(detail, o.secrets);
    return new GitCommandError(`${redactText(`git ${args.join(' ')}`, o.secrets)}: ${cleanDetail}`, cleanDetail, failure, args, exitCode, redactText(stderr, o.secrets));
  };
  let stdoutBytes = 0;
  let git;
  try {
    git = simpleGit({
      baseDir: o.cwd,
      binary: o.gitBin,
      abort: abort.signal,
      trimmed: false,
      // The environment is built here from the operator's and the config's settings, not from
      // untrusted input: GIT_SSH_COMMAND and GIT_CONFIG_COUNT are how credentials reach git, and
      // GIT_CONFIG_GLOBAL-style paths are the operator's choice.
      unsafe: { allowUnsafeSshCommand: true, allowUnsafeConfigEnvCount: true, allowUnsafeConfigPaths: true },
      errors: (error, result) => {
        if (error instanceof GitPluginError) return error;
        if (result.exitCode !== 0) return new ExitStatus(result.exitCode, Buffer.concat(result.stdErr).toString('utf8').slice(0, MAX_STDERR).trim());
        return error;
      },
    }).env(gitEnvironment(o.env)).outputHandler((_bin, stdout) => {
      stdout.on('data', (chunk: Buffer) => {
        stdoutBytes += chunk.length;
        if (stdoutBytes > max) stop('output', `output exceeded ${max} bytes`);
      });
    });
  } catch (err) {
    // simple-git checks the working directory (and the binary's name) before anything runs.
    const why = /directory that does not exist/.test((err as Error).message) ? `${o.cwd} is not an existing directory` : (err as Error).message;
    throw fail('spawn', `cannot run ${o.gitBin}: ${why}`);
  }
  const timer = setTimeout(() => stop('timeout', `timed out after ${o.timeoutMs} ms`), o.timeoutMs);
  // simple-git ends a killed command when the process goes (it sends SIGINT); one that ignores the
  // signal must not hold the caller forever.
  let abandon: NodeJS.Timeout | undefined;
  let lingering = false;
  const abandoned = new Promise<never>((_resolve, reject) => {
    abort.signal.addEventListener('abort', () => {
      abandon = setTimeout(() => { lingering = true; reject(new Error('killed')); }, KILL_GRACE_MS);
    });
  });
  abandoned.catch(() => {});
  try {
    return await Promise.race([git.raw([...args]), abandoned]);
  } catch (err) {
    if (halt.why) throw fail(halt.why.failure, `${halt.why.detail}${lingering ? ` (it did not exit ${KILL_GRACE_MS} ms after being killed and was left running)` : ''}`);
    if (err instanceof ExitStatus) {
      // simple-git reports a binary that cannot be started as exit code -2 with the spawn error as stderr.
      if (err.exitCode < 0) throw fail('spawn', `cannot run ${o.gitBin}: ${err.stderr.split('\n')[0] || `exit code ${err.exitCode}`} (check gitBin)`, null, err.stderr);
      throw fail('exit', `exit code ${err.exitCode}${err.stderr ? `: ${err.stderr}` : ''}`, err.exitCode, err.stderr);
    }
    if (err instanceof GitPluginError && err.plugin === 'unsafe') {
      throw fail('refused', `refused as unsafe: ${err.message} (it comes from the config or the master's environment: remove it there)`);
    }
    throw fail('spawn', (err as Error).message);
  } finally {
    clearTimeout(timer);
    clearTimeout(abandon);
  }
}
