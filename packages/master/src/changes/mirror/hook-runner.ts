/**
 * Runs the user's post-receive style hook for one mirror: the same stdin git gives `post-receive`,
 * the working directory and GIT_DIR a hook in a bare repository sees, a timeout, and the tail of its
 * output kept for the error message.
 */
import { spawn } from 'node:child_process';
import { ErrorCodes } from '../../errors/catalog.js';

export interface HookRun {
  command: readonly string[];
  /** The bare mirror. */
  cwd: string;
  stdin: string;
  env?: Record<string, string>;
  timeoutMs: number;
}

export class HookFailedError extends Error {
  readonly code = ErrorCodes.MIRROR_HOOK_FAILED;
  constructor(message: string, readonly exitCode: number | null, readonly outputTail: string) {
    super(message);
    this.name = 'HookFailedError';
  }
}

const TAIL_BYTES = 4096;

/** Resolves with the output tail when the hook exits 0. */
export function runHook(h: HookRun): Promise<string> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = h.command;
    if (!cmd) { reject(new HookFailedError('mirrorPoller.hook.command is empty', null, '')); return; }
    const child = spawn(cmd, args, {
      cwd: h.cwd,
      // A hook of a bare repository runs in it with GIT_DIR=. (what git sets), so git commands in it just work.
      env: { ...process.env, GIT_DIR: '.', ...h.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let tail = '';
    const keep = (b: Buffer) => { tail = (tail + b.toString('utf8')).slice(-TAIL_BYTES); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, h.timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(new HookFailedError(`cannot run hook ${cmd}: ${e.message}`, null, '')); });
    // A hook that does not read its stdin closes the pipe early; that is its right, not an error.
    child.stdin.on('error', () => {});
    child.stdin.end(h.stdin);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (!timedOut && code === 0) { resolve(tail); return; }
      const why = timedOut ? `timed out after ${h.timeoutMs} ms` : `exited with code ${code}`;
      reject(new HookFailedError(`hook ${cmd} ${why}${tail.trim() ? `: ${tail.trim().slice(-500)}` : ''}`, code, tail));
    });
  });
}
