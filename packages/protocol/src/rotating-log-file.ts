/**
 * A log file rotated by size, as Twisted's `LogFile` rotates Buildbot's twistd.log (the
 * `rotateLength` and `maxRotatedFiles` of buildbot.tac): once the file holds `rotateLength` bytes,
 * FILE.N becomes FILE.N+1 for every N, FILE becomes FILE.1 and a new FILE is started; files past
 * `maxRotatedFiles` are deleted. `reopen()` closes and opens FILE again, for an external logrotate
 * that moved it (SIGUSR1). Shared by the master (`mastro.log`) and the worker (`worker.log`).
 *
 * This class owns the descriptor and the file names; the writers (the master's non-blocking log
 * destination, the worker's line logger) write to `fd`, report the bytes with `written`, and rotate
 * between two writes when `due` says so. A failed rotation or reopen keeps the current file, so no
 * line is lost; the error is returned for the writer to log.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync } from 'node:fs';

export interface RotationOptions {
  /** Bytes after which the file is rotated; null: never. Buildbot's default 10000000. */
  rotateLength: number | null;
  /** Rotated files kept (FILE.1 the newest); null: all of them. Buildbot's default 10. */
  maxRotatedFiles: number | null;
}

export const ROTATION_DEFAULTS: RotationOptions = { rotateLength: 10_000_000, maxRotatedFiles: 10 };

export class RotatingLogFile {
  private descriptor: number;
  private size: number;
  private opts: RotationOptions;

  constructor(readonly path: string, opts: RotationOptions = ROTATION_DEFAULTS) {
    this.opts = { ...opts };
    this.descriptor = openSync(path, 'a');
    this.size = fstatSync(this.descriptor).size;
  }

  get fd(): number { return this.descriptor; }

  /** Bytes in the current file, as far as this process wrote it (and found it at open). */
  get bytes(): number { return this.size; }

  configure(opts: RotationOptions): void { this.opts = { ...opts }; }

  /** `n` more bytes went into the current file. */
  written(n: number): void { this.size += n; }

  /** Whether the file is due to be rotated before the next write. */
  get due(): boolean { return this.opts.rotateLength !== null && this.size >= this.opts.rotateLength; }

  /** The names of the rotated files that exist, FILE.1 first. */
  rotatedFiles(): string[] {
    const out: string[] = [];
    for (let i = 1; existsSync(`${this.path}.${i}`); i++) out.push(`${this.path}.${i}`);
    return out;
  }

  /** Rotates now (see the header). Returns null, or the error that left the current file in use. */
  rotate(): Error | null {
    try {
      const keep = this.opts.maxRotatedFiles;
      const existing = this.rotatedFiles().length;
      // Oldest first, so no rename overwrites a file not yet moved.
      for (let i = existing; i >= 1; i--) {
        if (keep !== null && i >= keep) rmSync(`${this.path}.${i}`, { force: true });
        else renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      }
      if (keep === 0) rmSync(this.path, { force: true });
      else renameSync(this.path, `${this.path}.1`);
    } catch (err) {
      return err as Error;
    }
    return this.reopen();
  }

  /** Closes the descriptor and opens FILE again (created when it was moved away). Returns null or the error. */
  reopen(): Error | null {
    let next: number;
    try {
      next = openSync(this.path, 'a');
    } catch (err) {
      return err as Error;
    }
    try { closeSync(this.descriptor); } catch { /* already closed */ }
    this.descriptor = next;
    this.size = fstatSync(next).size;
    return null;
  }

  close(): void {
    try { closeSync(this.descriptor); } catch { /* already closed */ }
  }
}
