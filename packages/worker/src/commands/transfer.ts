/** Shared pieces of the transfer commands (upload_file, upload_directory, download_file). */
import type { CommandContext } from './types.js';

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
}

export function blocksizeOf(args: Record<string, unknown>): number {
  const b = args.blocksize;
  return typeof b === 'number' && b > 0 ? Math.floor(b) : 16 * 1024;
}

export function maxsizeOf(args: Record<string, unknown>): number | null {
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
