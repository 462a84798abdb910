/** Shared pieces of the transfer commands (upload_file, upload_directory, download_file). */
import { argString, type CommandContext } from './types.js';

export class TransferState {
  rc = 0;
  stderr: string | null = null;
  interrupted = false;

  /** Buildbot sends the final rc (and stderr) even after an interrupt. */
  finish(ctx: CommandContext): void {
    const pairs: Array<[string, unknown]> = [['rc', this.rc]];
    if (this.stderr) pairs.push(['stderr', this.stderr]);
    ctx.sendStatus(pairs);
  }

  interrupt(): void {
    if (this.interrupted) return;
    this.rc = 1;
    this.interrupted = true;
  }

  /** The worker-side file could not be opened: rc 1, Buildbot's message, and why when the path left its area. */
  cannotOpen(file: string, purpose: 'upload' | 'download', err: unknown): void {
    const why = (err as Error).name === 'PathError' ? `: ${(err as Error).message}` : '';
    this.stderr = `Cannot open file '${file}' for ${purpose}${why}`;
    this.rc = 1;
  }

  /** `maxsize` cut the transfer short: rc 1 and Buildbot's message (an earlier message wins). */
  truncated(file: string): void {
    this.stderr ??= `Maximum filesize reached, truncating file '${file}'`;
    this.rc = 1;
  }
}

/** What is left of a transfer's `maxsize` (no limit when the master sent none). */
export class ByteBudget {
  constructor(private remaining: number | null) {}

  /** How many of `wanted` bytes may still move: 0 once the limit is reached. */
  allow(wanted: number): number {
    return this.remaining === null ? wanted : Math.max(0, Math.min(wanted, this.remaining));
  }

  spend(bytes: number): void {
    if (this.remaining !== null) this.remaining -= bytes;
  }
}

/** The arguments every transfer command takes: the worker-side path, the block size and the size limit. */
export function transferArgs(args: Record<string, unknown>): { requested: string; blocksize: number; budget: ByteBudget } {
  return { requested: argString(args, 'path'), blocksize: blocksizeOf(args), budget: new ByteBudget(maxsizeOf(args)) };
}

function blocksizeOf(args: Record<string, unknown>): number {
  const b = args.blocksize;
  return typeof b === 'number' && b > 0 ? Math.floor(b) : 16 * 1024;
}

function maxsizeOf(args: Record<string, unknown>): number | null {
  const m = args.maxsize;
  return typeof m === 'number' && Number.isFinite(m) ? m : null;
}

/** A master's read result as bytes (msgpack gives a Buffer; JSON peers may send text). */
export function asBytes(data: unknown): Buffer {
  if (data == null) return Buffer.alloc(0);
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new Error(`the master answered update_read_file with ${typeof data}, expected bytes`);
}
