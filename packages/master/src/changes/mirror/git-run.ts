/**
 * Runs one git command for the mirror poller: no shell, a timeout that kills the process, output
 * capped so a runaway command cannot exhaust memory, and credentials scrubbed from error messages.
 */
import { spawn } from 'node:child_process';
import { redactText } from '../../util/url-credentials.js';

export interface GitRunOptions {
  gitBin: string;
  /** Working directory (a bare mirror) or undefined for commands that take a URL. */
  cwd?: string;
  /** Milliseconds before the command is killed. */
  timeoutMs: number;
  /** Largest stdout kept, in bytes; beyond it the command fails (a safe bound for huge ref lists). */
  maxOutputBytes?: number;
  env?: NodeJS.ProcessEnv;
  /** Secrets (tokens in URLs) to scrub from error messages. */
  secrets?: readonly string[];
}

export class GitCommandError extends Error {
  constructor(message: string, readonly args: readonly string[], readonly exitCode: number | null, readonly stderr: string) {
    super(message);
    this.name = 'GitCommandError';
  }
}

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;

export function runGit(args: readonly string[], o: GitRunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    // GIT_TERMINAL_PROMPT=0: a repository that needs credentials fails fast instead of hanging on a prompt.
    const child = spawn(o.gitBin, args, {
      cwd: o.cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let failure: string | null = null;
    const max = o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    const timer = setTimeout(() => { failure = `timed out after ${o.timeoutMs} ms`; child.kill('SIGKILL'); }, o.timeoutMs);
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes > max) { failure ??= `output exceeded ${max} bytes`; child.kill('SIGKILL'); return; }
      out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => { if (err.length < 16384) err += b.toString('utf8'); });
    child.on('error', (e) => { clearTimeout(timer); reject(new GitCommandError(`cannot run ${o.gitBin}: ${e.message}`, args, null, '')); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (failure === null && code === 0) { resolve(Buffer.concat(out).toString('utf8')); return; }
      const stderr = redactText(err.trim(), o.secrets);
      const what = redactText(`git ${args.join(' ')}`, o.secrets);
      reject(new GitCommandError(`${what} failed: ${failure ?? `exit code ${code}`}${stderr ? `: ${stderr}` : ''}`, args, code, stderr));
    });
  });
}
