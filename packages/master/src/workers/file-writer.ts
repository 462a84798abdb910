/**
 * Master side of `upload_file`: the worker sends blocks (`update_upload_file_write`), optionally
 * times (`update_upload_file_utime`), then `update_upload_file_close`. Data goes to a temporary file
 * next to the destination and is renamed into place only when the command completes successfully,
 * so a half-transferred, truncated or failed upload never shows up under the destination name.
 */
import { mkdir, open, rename, chmod, utimes, rm, type FileHandle } from 'node:fs/promises';
import { dirname, basename, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UploadRefusedError } from './upload-errors.js';

export interface FileWriterOptions {
  /**
   * The step's limit. A worker stops sending at maxsize and reports rc 1 (Buildbot's worker does);
   * one that sends more gets the upload refused at commit, never a silently truncated file.
   */
  maxsize?: number | null;
  /** Permission bits applied to the destination after close. */
  mode?: number | null;
  /** The master's hard cap: more data than this fails the upload. */
  hardLimit: number;
}

/** Data from the wire: msgpack bin arrives as a Buffer/Uint8Array, an old peer may send a string. */
export function toBuffer(data: unknown): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  throw new TypeError(`expected bytes in the upload write, got ${data === null ? 'null' : typeof data}`);
}

export class FileWriter {
  readonly destination: string;
  private handle: FileHandle | null = null;
  private tmpPath: string | null = null;
  private received = 0;
  private overMaxsize = false;
  private closed = false;
  // Writes are applied strictly in arrival order even if a peer does not wait for each response.
  private queue: Promise<void> = Promise.resolve();

  constructor(destination: string, private readonly options: FileWriterOptions, private readonly tmpDirOverride?: string) {
    this.destination = resolve(destination);
  }

  write(data: unknown): Promise<void> {
    const buf = toBuffer(data);
    return this.enqueue(async () => {
      if (this.closed) throw new Error('upload already closed; no more data is accepted');
      this.received += buf.length;
      if (this.received > this.options.hardLimit) {
        throw new UploadRefusedError('upload_too_large', `upload is larger than the master's maxUploadSize of ${this.options.hardLimit} bytes; raise maxUploadSize or upload less`);
      }
      const handle = await this.ensureOpen();
      // Past maxsize the data is dropped and the upload can no longer be committed. The worker is
      // not answered with an error: it finishes its command as usual, which then fails.
      const { maxsize } = this.options;
      if (maxsize != null && this.received > maxsize) { this.overMaxsize = true; return; }
      if (buf.length) await handle.write(buf);
    });
  }

  /** The worker sent everything (`update_upload_file_close`): the data is complete but not yet in place. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      const handle = await this.ensureOpen();
      this.closed = true;
      this.handle = null;
      await handle.close();
    });
  }

  /**
   * Moves the data into place (and applies `mode`). Called once the command completed successfully,
   * so a failed or truncated upload never replaces what was at the destination.
   */
  commit(): Promise<void> {
    return this.enqueue(async () => {
      if (!this.closed || !this.tmpPath) throw new Error('the worker never finished sending the file');
      if (this.overMaxsize) {
        throw new UploadRefusedError('upload_over_maxsize', `the worker sent more than the step's maxsize of ${this.options.maxsize} bytes (a worker stops at maxsize and fails the command); the upload is refused rather than kept truncated: raise maxsize or upload less`);
      }
      await rename(this.tmpPath, this.destination);
      this.tmpPath = null;
      if (this.options.mode != null) await chmod(this.destination, this.options.mode);
    });
  }

  /** Times in seconds since the epoch, as the worker sends them; applies after close like Buildbot. */
  utime(accessTime: unknown, modifiedTime: unknown): Promise<void> {
    return this.enqueue(async () => {
      if (typeof accessTime !== 'number' || typeof modifiedTime !== 'number') {
        throw new TypeError('update_upload_file_utime needs numeric access_time and modified_time');
      }
      // Before commit the data is still in the temp file; rename keeps the times.
      await utimes(this.tmpPath ?? this.destination, accessTime, modifiedTime);
    });
  }

  /** Drops a partial upload: the temp file goes, the destination is left as it was. */
  cancel(): Promise<void> {
    return this.enqueue(async () => {
      const handle = this.handle;
      this.handle = null;
      if (!this.closed) this.closed = true;
      if (handle) await handle.close().catch(() => {});
      if (this.tmpPath) await rm(this.tmpPath, { force: true });
      this.tmpPath = null;
    }).catch(() => {});
  }

  /** The temp file's path once data started arriving (for the directory writer). */
  protected get temporaryPath(): string | null { return this.tmpPath; }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    const dir = this.tmpDirOverride ?? dirname(this.destination);
    await mkdir(dir, { recursive: true });
    await mkdir(dirname(this.destination), { recursive: true });
    this.tmpPath = join(dir, `.${basename(this.destination)}.mastro-upload-${randomBytes(6).toString('hex')}`);
    this.handle = await open(this.tmpPath, 'wx', 0o600);
    return this.handle;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.then(() => undefined, () => undefined);
    return run;
  }
}
