/**
 * Log ingestion: appended lines are published at once (live streaming) and coalesced in memory into
 * chunk rows of ~`logChunkSize` bytes, compressed off the main thread (zlib runs in libuv's pool,
 * a bounded number at a time), so a busy log costs one row per chunk instead of one per line. Also
 * enforces `logMaxSize`: once a log is full, further lines only feed a tail buffer of
 * `logMaxTailSize` bytes that is written after a marker line when the log finishes, like Buildbot's
 * logMaxSize/logMaxTailSize.
 *
 * Each append is encoded to UTF-8 once, stream codes included, and from then on only Buffers are
 * cut (views, not copies) and compressed: big strings live in V8's large-object space until a full
 * GC, so every string copy per byte showed up in the master's peak memory.
 */
import { inflateSync } from 'node:zlib';
import type { Db } from '../db/index.js';
import type { ChunkRow, LogRow } from '../db/tables/logs.js';
import type { DataOptions } from './updates-api.js';
import { UnknownEntityError } from './errors.js';
import { LogCompressor } from './log-compressor.js';

export const LOG_DEFAULTS = {
  logMaxSize: 64 * 1024 * 1024,
  logMaxTailSize: 1024 * 1024,
  // 256 KiB: a quarter of the rows, zlib calls and reads of 64 KiB (each costs ~0.1 ms of main-thread
  // time besides the bytes), still a small decode for a ranged /contents read.
  logChunkSize: 256 * 1024,
  logFlushDelayMs: 50,
  logCompressMinSize: 1024,
  logCompressLevel: 1,
  logCompressConcurrency: 2,
} as const;

/** Tuning of the log writer beyond the data layer's options (defaults in LOG_DEFAULTS). */
export interface LogWriterOptions extends DataOptions {
  /** zlib level of stored chunks, 1 (fastest) to 9 (smallest); default 1. */
  logCompressLevel?: number;
  /** Chunks compressed at once, over all logs; default 2 (one core's worth besides the main thread). */
  logCompressConcurrency?: number;
}

const NEWLINE = 10;
/** Size of the reusable encode buffer: a BufferedLogWriter append (1 MiB by default) plus stream codes. */
const SCRATCH_BYTES = 1152 * 1024;

interface OpenLog {
  row: LogRow;
  /** Lines written to the database. */
  committedLines: number;
  /** Lines accepted (committed + pending). */
  numLines: number;
  /** UTF-8 of accepted lines not yet handed to a flush, stream codes included. */
  pending: Buffer[];
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

/** `content` is what was added to the head (stream codes included), or '' when not wanted. */
export interface AppendResult { row: LogRow; firstline: number; content: string; numLines: number }

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NEWLINE); i !== -1; i = b.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/**
 * UTF-8 of `content` (complete lines) with `stream` before every line: one native replaceAll and
 * one encode into one buffer. `ascii` says the bytes read back as latin1 (faster than utf8).
 */
export function encodeLines(content: string, stream: string | undefined, alloc: (n: number) => Buffer = Buffer.allocUnsafe): { bytes: Buffer; ascii: boolean } {
  if (!stream) return encodeUtf8(content, '', content.length, alloc);
  // "a\nb\n" -> "a\nob\no": every line but the first gets its code; the trailing code is cut off.
  const body = content.replaceAll('\n', '\n' + stream);
  return encodeUtf8(body, stream, body.length - 1, alloc);
}

/** UTF-8 of `prefix` (ASCII) + the first `length` characters of `s`, written once into one buffer. */
function encodeUtf8(s: string, prefix: string, length: number, alloc: (n: number) => Buffer): { bytes: Buffer; ascii: boolean } {
  const part = length === s.length ? s : s.slice(0, length);
  const n = Buffer.byteLength(part);
  const bytes = alloc(prefix.length + n);
  bytes.write(prefix, 0, 'latin1');
  // All ASCII when bytes == characters: latin1 then writes the same bytes, about twice as fast.
  const ascii = n === part.length;
  bytes.write(part, prefix.length, n, ascii ? 'latin1' : 'utf8');
  return { bytes, ascii };
}

export class LogWriter {
  private readonly open = new Map<number, OpenLog>();
  private readonly opts: Required<LogWriterOptions>;
  private readonly compressor: LogCompressor;
  /**
   * One reusable encode buffer (SCRATCH_BYTES) for appends that are stored before append returns:
   * a fresh MiB per append outlived young-generation GCs and floated as external memory until the
   * next full GC. Taken by one append at a time; the others allocate.
   */
  private scratch: Buffer | null = Buffer.allocUnsafeSlow(SCRATCH_BYTES);

  constructor(private readonly db: Db, options: LogWriterOptions = {}) {
    this.opts = {
      logMaxSize: options.logMaxSize === undefined ? LOG_DEFAULTS.logMaxSize : options.logMaxSize,
      logMaxTailSize: options.logMaxTailSize ?? LOG_DEFAULTS.logMaxTailSize,
      logChunkSize: options.logChunkSize ?? LOG_DEFAULTS.logChunkSize,
      logFlushDelayMs: options.logFlushDelayMs ?? LOG_DEFAULTS.logFlushDelayMs,
      logCompressMinSize: options.logCompressMinSize ?? LOG_DEFAULTS.logCompressMinSize,
      logCompressLevel: options.logCompressLevel ?? LOG_DEFAULTS.logCompressLevel,
      logCompressConcurrency: options.logCompressConcurrency ?? LOG_DEFAULTS.logCompressConcurrency,
    } as Required<LogWriterOptions>;
    this.compressor = new LogCompressor(Math.max(1, this.opts.logCompressConcurrency), this.opts.logCompressLevel, this.opts.logCompressMinSize);
  }

  /** The scratch buffer, or null while another append has it. */
  private takeScratch(): Buffer | null {
    const b = this.scratch;
    this.scratch = null;
    return b;
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
    s = newOpenLog(row);
    this.open.set(logid, s);
    return s;
  }

  /** Registers a log just created by this process, so its first append needs no read of its row. */
  opened(row: LogRow): void {
    if (!this.open.has(row.id)) this.open.set(row.id, newOpenLog(row));
  }

  /**
   * Accepts complete lines; returns what was added to the head of the log (empty once truncated),
   * stream codes included. While a big append waits for its flush, only its bytes are held: the
   * returned string is decoded from them afterwards, so no large string outlives a young-generation
   * GC (large strings that do are only freed by a full GC, which is what drove peak memory).
   * `wantContent` is asked once the lines are stored: when it says no (nobody listens live), the
   * returned content is '' and no string is decoded at all.
   */
  async append(logid: number, content: string, stream?: 'o' | 'e' | 'h', wantContent: (row: LogRow) => boolean = () => true): Promise<AppendResult> {
    const s = this.open.get(logid) ?? await this.state(logid);
    if (s.row.complete) throw new Error(`log ${logid} is finished; appending to it is a bug in the caller`);
    this.throwPendingError(s);
    const firstline = s.numLines;
    if (!content) return { row: s.row, firstline, content: '', numLines: s.numLines };
    // A big append flushed at once can borrow the scratch buffer: nothing else references it then.
    const scratch = s.pending.length === 0 && content.length >= this.opts.logChunkSize ? this.takeScratch() : null;
    try {
      const { bytes, ascii } = this.accept(s, content, stream, scratch);
      const numLines = s.numLines;
      if (s.pendingBytes >= this.opts.logChunkSize) {
        // Waiting here is the backpressure for fast writers; an error reaches this caller, so it is not kept.
        try { await this.flush(logid); } catch (err) { s.error = undefined; throw err; }
      } else if (scratch && s.pending[s.pending.length - 1]?.buffer === scratch.buffer) {
        s.pending[s.pending.length - 1] = Buffer.from(bytes); // stays queued: give the scratch back
      }
      const added = bytes.length && wantContent(s.row) ? bytes.toString(ascii ? 'latin1' : 'utf8') : '';
      return { row: s.row, firstline, content: added, numLines };
    } finally {
      if (scratch) this.scratch = scratch;
    }
  }

  /** Encodes and queues the lines (or what still fits under logMaxSize); returns the bytes queued. */
  private accept(s: OpenLog, content: string, stream: string | undefined, scratch: Buffer | null): { bytes: Buffer; ascii: boolean } {
    if (!content.endsWith('\n')) content += '\n';
    const alloc = scratch ? (n: number) => (n <= scratch.length ? scratch.subarray(0, n) : Buffer.allocUnsafe(n)) : Buffer.allocUnsafe;
    let encoded = encodeLines(content, stream, alloc);
    let lines: number;
    const max = this.opts.logMaxSize;
    if (max !== null && (s.truncated || s.size + encoded.bytes.length > max)) {
      const text = this.acceptHead(s, encoded.bytes.toString('utf8'), max);
      encoded = { bytes: Buffer.from(text, 'utf8'), ascii: false };
      lines = countLines(text);
    } else {
      s.size += encoded.bytes.length;
      lines = countLines(content);
    }
    if (encoded.bytes.length) this.queue(s, encoded.bytes, lines);
    return encoded;
  }

  /** The lines of `text` that still fit under `max`; the rest only feed the tail (slow path, once per log). */
  private acceptHead(s: OpenLog, text: string, max: number): string {
    let accepted = '';
    const lines = text.slice(0, -1).split('\n');
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
    return accepted;
  }

  private queue(s: OpenLog, bytes: Buffer, lines: number): void {
    s.pending.push(bytes);
    s.pendingBytes += bytes.length;
    s.numLines += lines;
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
    const parts = s.pending;
    const data = parts.length === 1 ? parts[0]! : Buffer.concat(parts, s.pendingBytes);
    s.pending = [];
    s.pendingBytes = 0;
    const startLine = s.committedLines;
    const endLines = s.numLines;
    s.committedLines = endLines;
    const run = async () => {
      if (!data.length) return;
      const chunks = await this.toChunks(data, startLine);
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

  /** Cuts whole lines into pieces of about `logChunkSize` bytes (views of `data`) and compresses them. */
  private toChunks(data: Buffer, firstLine: number): Promise<ChunkRow[]> {
    const pieces: Promise<ChunkRow>[] = [];
    let line = firstLine;
    let start = 0;
    while (start < data.length) {
      let end = Math.min(data.length, start + this.opts.logChunkSize);
      if (end < data.length) {
        const nl = data.lastIndexOf(NEWLINE, end - 1);
        end = nl >= start ? nl + 1 : data.indexOf(NEWLINE, end) + 1; // a line longer than a chunk stays whole
        if (end === 0) end = data.length;
      }
      const piece = data.subarray(start, end);
      const n = countNewlines(piece);
      const first = line;
      line += n;
      pieces.push(this.compressor.compress(piece).then((c) => ({ first_line: first, last_line: first + n - 1, ...c })));
      start = end;
    }
    return Promise.all(pieces);
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
      this.queue(s, Buffer.from(tailContent, 'utf8'), countLines(tailContent));
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

function newOpenLog(row: LogRow): OpenLog {
  return {
    row, committedLines: row.num_lines, numLines: row.num_lines, pending: [], pendingBytes: 0, size: 0,
    truncated: false, omittedBytes: 0, tail: [], tailBytes: 0, timer: null, flushing: Promise.resolve(), error: undefined,
  };
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
