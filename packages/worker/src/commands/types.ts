/**
 * What a worker command sees of the world. Commands never touch the protocol directly: they send
 * status through `sendStatus` (line splitting and batching happen behind it) and make the
 * transfer requests (`update_upload_file_write`, `update_read_file`, ...) through `request`.
 */
import type { Logger } from 'mastro-protocol';
import type { UpdatePair } from '../output/update-buffer.js';
import type { ProcessGroupTracker } from '../process/orphan-guard.js';

export type { UpdatePair };

export interface CommandContext {
  readonly commandId: string;
  readonly commandName: string;
  readonly args: Record<string, unknown>;
  /** The worker's base directory (absolute). */
  readonly basedir: string;
  /** Where relative paths of this command are resolved: the builder's directory, or the basedir. */
  readonly builderDir: string;
  /** Resolves a path the master sent; throws a PathError when it leaves the allowed area. */
  resolvePath(p: string): string;
  /** Queues status updates (`stdout`/`stderr`/`header` text, `log` [name, text], `rc`, `stat`, ...). */
  sendStatus(pairs: UpdatePair[]): void;
  /** Sends a worker->master request for this command (`command_id` is added) and waits for its result. */
  request(op: string, fields?: Record<string, unknown>): Promise<unknown>;
  /** True while too many updates wait for the master's acknowledgement; producers should pause. */
  readonly congested: boolean;
  /** Resolves once the update backlog drained below the limit. */
  whenDrained(): Promise<void>;
  /** The worker's log, each message marked with the command's name and id. */
  readonly log: Logger;
  /** SIGTERM-to-SIGKILL grace period for interrupted processes, in ms. */
  readonly killGraceMs: number;
  /** Where a command that spawns a process group reports it, so the group dies with the worker. */
  readonly processGroups?: ProcessGroupTracker;
}

export interface WorkerCommand {
  /** Runs the command to its end. A thrown error is reported to the master as the command's failure. */
  run(): Promise<void>;
  /** Asks the command to stop as soon as it can; run() still resolves afterwards. */
  interrupt(why: string): void;
}

export interface CommandDefinition {
  readonly name: string;
  /** Arguments that must be present (Buildbot's `requiredArgs`). */
  readonly requiredArgs: readonly string[];
  create(ctx: CommandContext): WorkerCommand;
}

/** Raised when a command's arguments are missing or of the wrong type. */
export class CommandArgsError extends Error {
  constructor(message: string) { super(message); this.name = 'CommandArgsError'; }
}

export function argString(args: Record<string, unknown>, name: string): string {
  const v = args[name];
  if (typeof v !== 'string') throw new CommandArgsError(`argument '${name}' must be a string, got ${v === undefined ? 'nothing' : typeof v}`);
  return v;
}

export function argNumberOrNull(args: Record<string, unknown>, name: string): number | null {
  const v = args[name];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new CommandArgsError(`argument '${name}' must be a number or null`);
  return v;
}

/** The rc Buildbot sends for a failed OS call: the errno number (positive), or 1 when unknown. */
export function errnoOf(err: unknown): number {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number') return Math.abs(e.errno);
  return 1;
}

/** Buildbot's `strerror`-style text for a failed OS call. */
export function strerrorOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const byCode: Record<string, string> = {
    ENOENT: 'No such file or directory', EACCES: 'Permission denied', EEXIST: 'File exists',
    ENOTDIR: 'Not a directory', EISDIR: 'Is a directory', ENOTEMPTY: 'Directory not empty', EPERM: 'Operation not permitted',
  };
  return (e?.code && byCode[e.code]) || e?.message || String(err);
}
