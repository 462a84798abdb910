/**
 * Where the master's own pino log goes by default: its standard output, which `mastro start` points
 * at `mastro.log` in the master directory. pino's default destination made a failed write an
 * uncaught 'error' and, at exit, retried it in a loop that blocks the event loop: when the disk
 * filled, the master stopped answering within seconds and exited once space came back.
 *
 * This destination never throws and never blocks. Lines wait in a buffer of `maxBufferedBytes`
 * while a write is in flight or failing (a full disk, a full pipe) and are retried every `retryMs`;
 * lines that do not fit are dropped and counted, and once writing works again one line (valid
 * JSON, like pino's) says how many were lost and why, at the place they were. A closed pipe
 * (EPIPE) ends logging, as pino does.
 */
import { write, writeSync } from 'node:fs';
import type { RotatingLogFile } from 'mastro-protocol/rotating-log-file';

export const LOG_DESTINATION_DEFAULTS = {
  /** 4 MiB: minutes of a busy master's log, a small part of its memory. */
  maxBufferedBytes: 4 * 1024 * 1024,
  retryMs: 1000,
} as const;

export interface LogDestinationOptions {
  /** File descriptor to write to; default 1 (standard output). */
  fd?: number;
  /**
   * A log file to write to instead of `fd` (`mastro.log` under `mastro start`): rotated by size
   * between two writes, and reopened on `reopen()` (SIGUSR1, after an external logrotate).
   */
  file?: RotatingLogFile;
  /** Bytes of log lines held while they cannot be written; default 4 MiB (env MASTRO_LOG_BUFFER_SIZE). */
  maxBufferedBytes?: number;
  /** Wait before a failed write is tried again, ms; default 1000 (a full pipe: a tenth of it). */
  retryMs?: number;
}

/** Longest an exiting process waits for a full pipe to take the last lines. */
const EXIT_FLUSH_MS = 2000;
/** Largest single write, so a long backlog goes out in pieces. */
const MAX_WRITE = 1024 * 1024;

export class LogDestination {
  private fd: number;
  private readonly file: RotatingLogFile | null;
  /** reopen() was asked for: done before the next write (never under a write in flight). */
  private reopenWanted = false;
  /** A failed rotation or reopen, reported once in the log (as a line of its own) when writing works. */
  private fileProblem: string | null = null;
  private readonly maxBufferedBytes: number;
  private readonly retryMs: number;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private writing = false;
  /** Bytes of the write in flight. */
  private inFlight = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  /** The code of the error the last write failed with, or null. */
  private failing: string | null = null;
  /** Lines dropped since the last report, and why (as it was when the first of them was dropped). */
  private dropped = { lines: 0, bytes: 0, why: '' };
  private closed = false;

  constructor(o: LogDestinationOptions = {}) {
    this.file = o.file ?? null;
    this.fd = this.file?.fd ?? o.fd ?? 1;
    this.maxBufferedBytes = o.maxBufferedBytes ?? LOG_DESTINATION_DEFAULTS.maxBufferedBytes;
    this.retryMs = o.retryMs ?? LOG_DESTINATION_DEFAULTS.retryMs;
  }

  /** Reopens the log file before the next write (SIGUSR1); nothing to do on standard output. */
  reopen(): void {
    if (!this.file) return;
    this.reopenWanted = true;
    this.pump();
  }

  /** Lines dropped so far and not yet reported in the log (for tests and metrics). */
  get droppedLines(): number { return this.dropped.lines; }

  /** pino's destination interface: one or more whole lines. */
  write(chunk: string): boolean {
    if (this.closed || !chunk.length) return true;
    const bytes = Buffer.from(chunk);
    // Once lines were dropped, keep dropping until their report is queued: nothing jumps the gap.
    if (this.dropped.lines || this.queuedBytes + bytes.length > this.maxBufferedBytes) {
      if (!this.dropped.lines) this.dropped.why = this.failing ? `writing failed with ${this.failing}` : 'they came faster than they could be written';
      this.dropped.lines += countLines(chunk);
      this.dropped.bytes += bytes.length;
      return true;
    }
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    this.pump();
    return true;
  }

  /**
   * At exit: writes what is held, waiting up to `EXIT_FLUSH_MS` in all for a full pipe to drain;
   * any other failure (a full disk) gives up at once. Never an endless retry loop.
   */
  flushSync(): void {
    if (this.closed) return;
    // The write in flight is left to finish on its own (as pino's destination does): not written twice.
    if (this.writing) { this.consume(this.inFlight); this.writing = false; }
    if (this.dropped.lines && !this.queue.length) this.queueReport();
    const deadline = Date.now() + EXIT_FLUSH_MS;
    while (this.queue.length) {
      try {
        const n = writeSync(this.fd, this.queue[0]!);
        this.file?.written(n);
        this.consume(n);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code !== 'EAGAIN' && code !== 'EBUSY') || Date.now() >= deadline) return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }

  /** Between two writes: reopens or rotates the file when asked or due. */
  private maintainFile(): void {
    const f = this.file;
    if (!f || (!this.reopenWanted && !f.due)) return;
    const what = this.reopenWanted ? 'reopening' : 'rotating';
    const err = this.reopenWanted ? f.reopen() : f.rotate();
    this.reopenWanted = false;
    this.fd = f.fd;
    if (err) {
      // The current file stays in use; said once per kind of failure, not at every write.
      const problem = `${what} ${f.path} failed (${(err as NodeJS.ErrnoException).code ?? err.message}); logging goes on in the current file`;
      if (problem !== this.fileProblem) this.queueLine(40, problem);
      this.fileProblem = problem;
      if (what === 'rotating') f.written(-f.bytes); // not due again at once: tried again after another rotateLength
    } else this.fileProblem = null;
  }

  private pump(): void {
    if (this.writing || this.retryTimer || this.closed) return;
    this.maintainFile();
    if (!this.queue.length) {
      if (this.dropped.lines) this.queueReport();
      if (!this.queue.length) return;
    }
    const first = this.queue[0]!;
    const piece = this.queue.length === 1 ? first.subarray(0, MAX_WRITE) : Buffer.concat(this.queue, Math.min(this.queuedBytes, MAX_WRITE));
    this.writing = true;
    this.inFlight = piece.length;
    write(this.fd, piece, 0, piece.length, null, (err, n) => {
      if (!this.writing) return; // flushSync at exit took over
      this.writing = false;
      if (err) { this.failed(err); return; }
      this.failing = null;
      this.file?.written(n);
      this.consume(n);
      this.pump();
    });
  }

  private failed(err: NodeJS.ErrnoException): void {
    if (err.code === 'EPIPE' || err.code === 'EBADF') {
      // Nobody reads this output any more.
      this.closed = true;
      this.queue = [];
      this.queuedBytes = 0;
      return;
    }
    this.failing = err.code ?? err.message;
    const wait = err.code === 'EAGAIN' || err.code === 'EBUSY' ? Math.ceil(this.retryMs / 10) : this.retryMs;
    this.retryTimer = setTimeout(() => { this.retryTimer = null; this.pump(); }, wait);
    this.retryTimer.unref();
  }

  /** Drops the first `n` written bytes from the queue (a write may be partial). */
  private consume(n: number): void {
    this.queuedBytes -= n;
    while (n > 0 && this.queue.length) {
      const b = this.queue[0]!;
      if (b.length <= n) { n -= b.length; this.queue.shift(); } else { this.queue[0] = b.subarray(n); n = 0; }
    }
  }

  private queueReport(): void {
    const { lines, bytes, why } = this.dropped;
    this.dropped = { lines: 0, bytes: 0, why: '' };
    this.queueLine(40, `${lines} log line(s) (${bytes} bytes) were dropped here: ${why} and the ${this.maxBufferedBytes}-byte log buffer was full (MASTRO_LOG_BUFFER_SIZE)`);
  }

  /** Queues a line of the destination's own, in pino's JSON shape. */
  private queueLine(level: number, msg: string): void {
    const b = Buffer.from(JSON.stringify({ level, time: Date.now(), pid: process.pid, msg }) + '\n');
    this.queue.push(b);
    this.queuedBytes += b.length;
  }
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return Math.max(1, n);
}

/**
 * The master's default log: pino on a LogDestination over standard output (or `file`). Standard output and
 * error also get an 'error' listener: a write Node itself makes there (a process warning) on a full
 * disk would otherwise end the process.
 */
export function defaultMasterLogDestination(env: NodeJS.ProcessEnv = process.env, file?: RotatingLogFile): LogDestination {
  for (const s of [process.stdout, process.stderr]) if (s.listenerCount('error') === 0) s.on('error', () => { /* see above */ });
  const size = Number(env.MASTRO_LOG_BUFFER_SIZE);
  const dest = new LogDestination({ file, maxBufferedBytes: Number.isInteger(size) && size >= 0 && env.MASTRO_LOG_BUFFER_SIZE ? size : undefined });
  process.on('exit', () => dest.flushSync());
  return dest;
}
