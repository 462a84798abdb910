/**
 * Master side of `download_file`: the worker asks for blocks (`update_read_file` with `length`)
 * until it gets an empty one, then sends `update_read_file_close`. The source is a master file
 * (opened lazily, read at increasing offsets) or an in-memory buffer.
 */
import { open, type FileHandle } from 'node:fs/promises';

export type DownloadSource = { path: string } | { data: Buffer };

export class FileReader {
  private handle: FileHandle | null = null;
  private offset = 0;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly source: DownloadSource, private readonly maxBlock: number) {}

  /** Resolves with up to `length` bytes (capped at the master's maxReadBlockSize); empty at the end. */
  read(length: unknown): Promise<Buffer> {
    return this.enqueue(async () => {
      if (typeof length !== 'number' || !Number.isFinite(length) || length < 0) {
        throw new TypeError('update_read_file needs a non-negative numeric length');
      }
      if (this.closed) return Buffer.alloc(0);
      const want = Math.min(Math.floor(length), this.maxBlock);
      if ('data' in this.source) {
        const chunk = this.source.data.subarray(this.offset, this.offset + want);
        this.offset += chunk.length;
        return chunk;
      }
      if (!this.handle) this.handle = await open(this.source.path, 'r');
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.handle.read(buf, 0, want, this.offset);
      this.offset += bytesRead;
      return bytesRead === want ? buf : buf.subarray(0, bytesRead);
    });
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      this.closed = true;
      const handle = this.handle;
      this.handle = null;
      if (handle) await handle.close();
    });
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
