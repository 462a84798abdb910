/**
 * Compresses log chunks in libuv's thread pool, a bounded number at a time. Starting one zlib
 * stream per 64 KiB piece of a multi-MiB flush at once held ~300 KiB of zlib state per piece and
 * let the pool's threads crowd the main thread off the machine's cores; two at a time keeps one
 * core compressing while the main thread decodes and stores.
 */
import { deflate } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);

export interface CompressedChunk { content: Buffer; compressed: 0 | 1 }

export class LogCompressor {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  /**
   * @param concurrency zlib jobs running at once (the rest wait their turn, in order).
   * @param level zlib level: 1 is ~3x faster than the default 6 and costs a few % of size on logs.
   * @param minSize smaller content is stored as is (zlib's framing would eat the gain).
   */
  constructor(private readonly concurrency: number, private readonly level: number, private readonly minSize: number) {}

  /** The content to store: deflated when that makes it smaller, else the input itself. */
  async compress(raw: Buffer): Promise<CompressedChunk> {
    if (raw.length < this.minSize) return { content: raw, compressed: 0 };
    await this.acquire();
    try {
      const z = await deflateAsync(raw, { level: this.level });
      return z.length < raw.length ? { content: z, compressed: 1 } : { content: raw, compressed: 0 };
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> | void {
    if (this.active < this.concurrency) { this.active++; return; }
    return new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  /** Hands the slot straight to the next waiter, so a newcomer can never overtake it. */
  private release(): void {
    const next = this.waiting.shift();
    if (next) next(); else this.active--;
  }
}
