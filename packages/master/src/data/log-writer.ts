/**
 * Log ingestion: appended lines are published at once (live streaming) and coalesced in memory into
 * chunk rows of ~`logChunkSize` bytes, compressed off the main thread (zlib runs in libuv's pool),
 * so a busy log costs one row per chunk instead of one per line. Also enforces `logMaxSize`: once a
 * log is full, further lines only feed a tail buffer of `logMaxTailSize` bytes that is written after
 * a marker line when the log finishes, like Buildbot's logMaxSize/logMaxTailSize.
 */
import { deflate, inflateSync } from 'node:zlib';
import { promisify } from 'node:util';
import type { Db } from '../db/index.js';
import type { ChunkRow, LogRow } from '../db/tables/logs.js';
import type { DataOptions } from './updates-api.js';
import { UnknownEntityError } from './errors.js';

const deflateAsync = promisify(deflate);

export const LOG_DEFAULTS = {
  logMaxSize: 64 * 1024 * 1024,
  logMaxTailSize: 1024 * 1024,
  logChunkSize: 64 * 1024,
  logFlushDelayMs: 50,
  logCompressMinSize: 1024,
} as const;

interface OpenLog {
  row: LogRow;
  /** Lines written to the database. */
  committedLines: number;
  /** Lines accepted (committed + pending). */
  numLines: number;
  pending: string[];
  pendingBytes: number;
  /** Bytes accepted into the log (head). */
  size: number;
  truncated: boolean;
  omittedBytes: number;
  tail: string[];
  tailBytes: number;
  timer: NodeJS.Timeout | null;
  /** Serializes flushes of this log so chunks land in line order. */
  flushing: Promise<void>;
  /** A failed background flush: reported to the next append or finish instead of being lost. */
  error: unknown;
}

export interface AppendResult { row: LogRow; firstline: number; content: string; numLines: number }

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

export class LogWriter {
  private readonly open = new Map<number, OpenLog>();
  private readonly opts: Required<DataOptions>;

  constructor(private readonly db: Db, options: DataOptions = {}) {
    this.opts = {
      logMaxSize: options.logMaxSize === undefined ? LOG_DEFAULTS.logMaxSize : options.logMaxSize,
      logMaxTailSize: options.logMaxTailSize ?? LOG_DEFAULTS.logMaxTailSize,
      logChunkSize: options.logChunkSize ?? LOG_DEFAULTS.logChunkSize,
      logFlushDelayMs: options.logFlushDelayMs ?? LOG_DEFAULTS.logFlushDelayMs,
      logCompressMinSize: options.logCompressMinSize ?? LOG_DEFAULTS.logCompressMinSize,
    } as Required<DataOptions>;
  }

  /** The live line count of a log being written, or undefined if it is not open here. */
  liveLines(logid: number): number | undefined { return this.open.get(logid)?.numLines; }

  private async state(logid: number): Promise<OpenLog> {
    let s = this.open.get(logid);
    if (s) return s;
    const row = await this.db.logs.get(logid);
    if (!row) throw new UnknownEntityError('log', logid);
    s = this.open.get(logid); // another append may have opened it meanwhile
    if (s) return s;
    s = {
      row, committedLines: row.num_lines, numLines: row.num_lines, pending: [], pendingBytes: 0, size: 0,
      truncated: false, omittedBytes: 0, tail: [], tailBytes: 0, timer: null, flushing: Promise.resolve(), error: undefined,
    };
    this.open.set(logid, s);
    return s;
  }

  /** Registers a log just created by this process, so its first append needs no read of its row. */
  opened(row: LogRow): void {
    if (this.open.has(row.id)) return;
    this.open.set(row.id, {
      row, committedLines: row.num_lines, numLines: row.num_lines, pending: [], pendingBytes: 0, size: 0,
      truncated: false, omittedBytes: 0, tail: [], tailBytes: 0, timer: null, flushing: Promise.resolve(), error: undefined,
    });
  }

  /** Accepts complete lines; returns what was added to the head of the log (empty once truncated). */
  async append(logid: number, content: string, stream?: 'o' | 'e' | 'h'): Promise<AppendResult> {
    const s = await this.state(logid);
    if (s.row.complete) throw new Error(`log ${logid} is finished; appending to it is a bug in the caller`);
    this.throwPendingError(s);
    if (content && !content.endsWith('\n')) content += '\n';
    // One native pass instead of a string per line: prefix the first line and every line after a newline.
    if (stream) content = stream + content.slice(0, -1).replaceAll('\n', '\n' + stream) + '\n';
    const firstline = s.numLines;
    let accepted = content;
    const max = this.opts.logMaxSize;
    if (max !== null && (s.truncated || s.size + Buffer.byteLength(content) > max)) {
      accepted = '';
      const lines = content.slice(0, -1).split('\n');
      for (const line of lines) {
        const bytes = Buffer.byteLength(line) + 1;
        if (!s.truncated && s.size + bytes <= max) { accepted += line + '\n'; s.size += bytes; continue; }
        s.truncated = true;
        s.omittedBytes += bytes;
        if (this.opts.logMaxTailSize > 0) {
          s.tail.push(line); s.tailBytes += bytes;
          while (s.tailBytes > this.opts.logMaxTailSize && s.tail.length) s.tailBytes -= Buffer.byteLength(s.tail.shift()!) + 1;
        }
      }
    } else {
      s.size += Buffer.byteLength(content);
    }
    if (accepted) this.queue(s, accepted);
    if (s.pendingBytes >= this.opts.logChunkSize) {
      // Waiting here is the backpressure for fast writers; an error reaches this caller, so it is not kept.
      try { await this.flush(logid); } catch (err) { s.error = undefined; throw err; }
    }
    return { row: s.row, firstline, content: accepted, numLines: s.numLines };
  }

  private queue(s: OpenLog, text: string): void {
    s.pending.push(text);
    s.pendingBytes += text.length;
    s.numLines += countLines(text);
    if (!s.timer) {
      s.timer = setTimeout(() => { s.timer = null; this.flush(s.row.id).catch(() => { /* kept in s.error for the next append */ }); }, this.opts.logFlushDelayMs);
      s.timer.unref();
    }
  }

  /** Writes buffered lines of one log as chunk rows. */
  flush(logid: number): Promise<void> {
    const s = this.open.get(logid);
    if (!s) return Promise.resolve();
    if (s.timer) { clearTimeout(s.timer); s.timer = null; }
    const text = s.pending.join('');
    s.pending = [];
    s.pendingBytes = 0;
    const startLine = s.committedLines;
    const endLines = s.numLines;
    s.committedLines = endLines;
    const run = async () => {
      if (!text) return;
      const chunks = await this.toChunks(text, startLine);
      await this.db.logs.appendChunks(logid, chunks, endLines);
    };
    const done = s.flushing.then(run);
    s.flushing = done.catch((err) => { s.error ??= err; });
    return done;
  }

  private throwPendingError(s: OpenLog): void {
    if (s.error === undefined) return;
    const err = s.error;
    s.error = undefined;
    throw new Error(`writing log ${s.row.id} to the database failed: ${(err as Error)?.message ?? err}`, { cause: err });
  }

  private async toChunks(text: string, firstLine: number): Promise<ChunkRow[]> {
    const pieces: string[] = [];
    let start = 0;
    while (start < text.length) {
      let end = Math.min(text.length, start + this.opts.logChunkSize);
      if (end < text.length) {
        const nl = text.lastIndexOf('\n', end - 1);
        end = nl >= start ? nl + 1 : text.indexOf('\n', end) + 1; // a line longer than a chunk stays whole
      }
      pieces.push(text.slice(start, end));
      start = end;
    }
    let line = firstLine;
    return Promise.all(pieces.map(async (p) => {
      const n = countLines(p);
      const first = line; line += n;
      const raw = Buffer.from(p, 'utf8');
      if (raw.length >= this.opts.logCompressMinSize) {
        const z = await deflateAsync(raw, { level: 1 });
        if (z.length < raw.length) return { first_line: first, last_line: first + n - 1, content: z, compressed: 1 };
      }
      return { first_line: first, last_line: first + n - 1, content: raw, compressed: 0 };
    }));
  }

  /** Writes the truncation marker and tail (if any), flushes, and forgets the log. */
  async finish(logid: number): Promise<{ row: LogRow; numLines: number; tailContent: string; tailFirstLine: number }> {
    const s = await this.state(logid);
    let tailContent = '';
    const tailFirstLine = s.numLines;
    if (s.truncated) {
      const kept = s.tail.length ? ` The last ${s.tailBytes} bytes follow.` : '';
      const prefix = s.row.type === 's' ? 'h' : '';
      tailContent = `${prefix}\n${prefix}... Output exceeded logMaxSize (${this.opts.logMaxSize} bytes): ${s.omittedBytes - s.tailBytes} bytes were dropped.${kept} Raise logMaxSize to keep more.\n`;
      tailContent += s.tail.map((l) => l + '\n').join('');
      this.queue(s, tailContent);
    }
    try {
      await this.flush(logid);
      this.throwPendingError(s);
    } finally {
      this.open.delete(logid);
    }
    return { row: s.row, numLines: s.numLines, tailContent, tailFirstLine };
  }

  /** Flushes every open log (shutdown). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((id) => this.flush(id)));
  }
}

export function decodeChunk(c: ChunkRow): string {
  return decodeChunkBytes(c).toString('utf8');
}

/** The stored bytes of a chunk, inflated when compressed. */
export function decodeChunkBytes(c: ChunkRow): Buffer {
  // Drivers return a Buffer (better-sqlite3, pg) or a Uint8Array: view it, do not copy it.
  const raw = c.content as Buffer | Uint8Array;
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return c.compressed === 1 ? inflateSync(buf) : buf;
}
