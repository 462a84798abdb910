/**
 * The log store (LogStore), what the data layer's appendLog/finishLog write through; a step's
 * side of the same log is BufferedStepLog (process/step-log.ts). Appended lines are published at once (live streaming) and coalesced in memory into
 * chunk rows of ~`logChunkSize` bytes, compressed off the main thread (zlib runs in libuv's pool,
 * a bounded number at a time), so a busy log costs one row per chunk instead of one per line. Also
 * enforces `logMaxSize`: once a log is full, further lines only feed a tail buffer of
 * `logMaxTailSize` bytes that is written after a marker line when the log finishes, like Buildbot's
 * logMaxSize/logMaxTailSize.
 *
 * Lines are held as UTF-8 bytes of one stream each, without stream codes. A flush whose lines are all
 * of one stream (the common case: a step printing to stdout) is stored as is, the stream named once
 * per chunk row (`logchunks.stream`); only a flush mixing streams gets Buildbot's per-line codes. So a
 * fast log's bytes go from the worker's frame to zlib untouched: no decode, no per-line rewrite.
 * Text appends are encoded once; big strings live in V8's large-object space until a full GC, so
 * every string copy per byte showed up in the master's peak memory.
 *
 * Through a database outage (db/outage.ts: the server is down, the disk is full) nothing is lost
 * silently: a flush that fails puts its lines back in front of the log's pending ones and is tried
 * again with backoff, appends keep being accepted into memory, and a finishing log waits for the
 * database (up to `outageTimeoutMs`). Held output is bounded over all logs by `outageBufferSize`:
 * beyond it a log's newest lines are dropped, counted, and replaced by one marker line at the place
 * they were (consecutive drops share one marker, updated while it waits to be stored); the append
 * that dropped them, and the log's finish, tell the caller (LogLinesDroppedError in resources/logs.ts).
 */
import { inflateSync } from 'node:zlib';
import type { Db } from '../db/index.js';
import type { ChunkRow, LogRow } from '../db/tables/logs.js';
import type { DataOptions } from './updates-api.js';
import { UnknownEntityError } from './errors.js';
import type { DatabaseOutage } from '../db/outage.js';
import { nextRetryDelay, OutageTimeoutError } from '../db/outage-retry.js';
import { LogCompressor } from './log-compressor.js';
import { LOG_STORE_DEFAULTS, NEWLINE, STORE_SCRATCH_BYTES, type StreamCode } from './log-constants.js';

/** The log store's options: the data layer's (DataOptions), all of them config options (defaults in LOG_STORE_DEFAULTS, log-constants.ts). */
export type LogStoreOptions = DataOptions;

/** What appendLog takes: text, or UTF-8 bytes (whole lines; the worker's frames, as they came). */
export type LogContent = string | readonly Buffer[];

/** A run whose lines already carry their codes (the logMaxSize marker and tail, mixing streams). */
const CODED = '*';

/** Accepted lines of one kind, waiting for a flush. */
interface PendingRun {
  /** The lines' stream (no codes in `parts`), CODED (each line has its code), or null (not an 's' log). */
  code: StreamCode | typeof CODED | null;
  parts: Buffer[];
  bytes: number;
  /** A marker line of the writer's own (truncation, dropped lines): never dropped to make room. */
  marker?: true;
  /** For the marker of dropped lines: what it counts (it is rewritten while more are dropped after it). */
  drop?: Dropped;
}

interface Dropped { lines: number; bytes: number; reason: string }

interface OpenLog {
  row: LogRow;
  /** Lines written to the database. */
  committedLines: number;
  /** Lines accepted (committed + pending). */
  numLines: number;
  /** Accepted lines not yet handed to a flush, in order. */
  pending: PendingRun[];
  pendingBytes: number;
  /** Bytes accepted into the log (head), stream codes not counted. */
  size: number;
  truncated: boolean;
  omittedBytes: number;
  /** Last lines past logMaxSize, each with its stream code (for 's' logs). */
  tail: string[];
  tailBytes: number;
  timer: NodeJS.Timeout | null;
  /** Serializes flushes of this log so chunks land in line order. */
  flushing: Promise<void>;
  /** A failed background flush: reported to the next append or finish instead of being lost. */
  error: unknown;
  /** The outage the last flush ran into (its lines are pending again), or null while flushes work. */
  failing: DatabaseOutage | null;
  /** When flushes began to fail (ms). */
  failingSince: number;
  /** The last wait before a retry, ms (0 while flushes work). */
  retryDelay: number;
  retryTimer: NodeJS.Timeout | null;
  /** All lines this log dropped so far (finish reports them), or null. */
  droppedTotal: Dropped | null;
}

/**
 * `content` is what was added to the head (stream codes included), or '' when not wanted.
 * `dropped`: the append's lines were not kept (the outage buffer is full; see the header).
 */
export interface AppendResult { row: LogRow; firstline: number; content: string; numLines: number; dropped?: Dropped }

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/** Lines of an append as it will be stored (a missing final newline is added). */
function linesOf(content: LogContent): number {
  if (typeof content === 'string') return countLines(content) + (content.endsWith('\n') ? 0 : 1);
  let n = 0;
  for (const b of content) n += countNewlines(b);
  const last = content.filter((b) => b.length > 0).pop();
  return n + (last && last[last.length - 1] !== NEWLINE ? 1 : 0);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(NEWLINE); i !== -1; i = b.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

/**
 * `text` (complete lines) with `code` before every line. Works on the latin1 view of UTF-8 bytes as
 * well as on text: a newline byte never occurs inside a multi-byte UTF-8 sequence.
 */
export function withLineCodes(text: string, code: string): string {
  // "a\nb\n" -> "oa\nob\no" -> cut the trailing code.
  return (code + text.replaceAll('\n', '\n' + code)).slice(0, -1);
}

/** UTF-8 of `s` in one buffer from `alloc`; ASCII (bytes == characters) is written as latin1, about twice as fast. */
function encodeUtf8(s: string, alloc: (n: number) => Buffer): Buffer {
  const n = Buffer.byteLength(s);
  const bytes = alloc(n);
  bytes.write(s, 0, n, n === s.length ? 'latin1' : 'utf8');
  return bytes;
}

const concat = (parts: readonly Buffer[], total: number) => (parts.length === 1 ? parts[0]! : Buffer.concat(parts, total));

export class LogStore {
  private readonly open = new Map<number, OpenLog>();
  private readonly opts: Required<LogStoreOptions>;
  private readonly compressor: LogCompressor;
  /**
   * One reusable encode buffer (STORE_SCRATCH_BYTES) for appends that are stored before append returns:
   * a fresh MiB per append outlived young-generation GCs and floated as external memory until the
   * next full GC. Taken by one append at a time; the others allocate.
   */
  private scratch: Buffer | null = Buffer.allocUnsafeSlow(STORE_SCRATCH_BYTES);
  /** Bytes accepted and not yet stored, over all logs (what an outage makes the master hold). */
  private heldBytes = 0;
  /** UTF-8 bytes of log lines received since start, over all logs (the metrics' mastro_log_bytes_total). */
  private received = 0;

  constructor(private readonly db: Db, options: LogStoreOptions = {}) {
    this.opts = {
      logMaxSize: options.logMaxSize === undefined ? LOG_STORE_DEFAULTS.logMaxSize : options.logMaxSize,
      logMaxTailSize: options.logMaxTailSize ?? LOG_STORE_DEFAULTS.logMaxTailSize,
      logChunkSize: options.logChunkSize ?? LOG_STORE_DEFAULTS.logChunkSize,
      logFlushDelayMs: options.logFlushDelayMs ?? LOG_STORE_DEFAULTS.logFlushDelayMs,
      logCompressMinSize: options.logCompressMinSize ?? LOG_STORE_DEFAULTS.logCompressMinSize,
      logCompressLevel: options.logCompressLevel ?? LOG_STORE_DEFAULTS.logCompressLevel,
      logCompressConcurrency: options.logCompressConcurrency ?? LOG_STORE_DEFAULTS.logCompressConcurrency,
      outageBufferSize: options.outageBufferSize ?? LOG_STORE_DEFAULTS.outageBufferSize,
      outageTimeoutMs: options.outageTimeoutMs ?? LOG_STORE_DEFAULTS.outageTimeoutMs,
    } as Required<LogStoreOptions>;
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

  /** Bytes of log output accepted and not yet stored, over all logs. */
  get unstoredBytes(): number { return this.heldBytes; }

  /** UTF-8 bytes of log lines received since start (before the logMaxSize cut), over all logs. */
  get receivedBytes(): number { return this.received; }

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
   * Accepts complete lines (a missing final newline is added): text, or UTF-8 bytes of whole lines.
   * Returns what was added to the head of the log (empty once truncated), stream codes included.
   * While a big append waits for its flush, only its bytes are held: `wantContent` is asked once the
   * lines are stored, and only when it says yes (someone listens live) is a string decoded at all.
   */
  async append(logid: number, content: LogContent, stream?: StreamCode, wantContent: (row: LogRow) => boolean = () => true): Promise<AppendResult> {
    const s = this.open.get(logid) ?? await this.state(logid);
    if (s.row.complete) throw new Error(`log ${logid} is finished; appending to it is a bug in the caller`);
    this.throwPendingError(s);
    const firstline = s.numLines;
    const size = typeof content === 'string' ? content.length : content.reduce((n, b) => n + b.length, 0);
    if (!size) return { row: s.row, firstline, content: '', numLines: s.numLines };
    if ((s.failing || this.db.health.outage) && this.heldBytes + size > this.opts.outageBufferSize) {
      const dropped = { lines: linesOf(content), bytes: size, reason: this.outageReason(s) };
      this.dropLines(s, dropped);
      return { row: s.row, firstline, content: '', numLines: s.numLines, dropped };
    }
    // A big text append flushed at once can borrow the scratch buffer: nothing else references it then.
    const scratch = typeof content === 'string' && s.pending.length === 0 && size >= this.opts.logChunkSize ? this.takeScratch() : null;
    try {
      const added = this.accept(s, content, stream, scratch);
      const numLines = s.numLines;
      // While the database is unavailable the lines wait for the retry instead (no backpressure then).
      if (s.pendingBytes >= this.opts.logChunkSize && !s.failing) {
        // Waiting here is the backpressure for fast writers; an error reaches this caller, so it is not kept.
        try { await this.flush(logid); } catch (err) { s.error = undefined; throw err; }
      }
      // Lines still queued (a flush that did not run or failed) must not point into the scratch buffer.
      if (scratch) unborrow(s, scratch);
      const code = codeOf(s.row, stream);
      const text = added.length && wantContent(s.row) ? liveText(added, code === CODED ? null : code) : '';
      return { row: s.row, firstline, content: text, numLines };
    } finally {
      if (scratch) this.scratch = scratch;
    }
  }

  /** Queues the lines (or what still fits under logMaxSize); returns the bytes queued, without codes. */
  private accept(s: OpenLog, content: LogContent, stream: StreamCode | undefined, scratch: Buffer | null): Buffer[] {
    const code = codeOf(s.row, stream);
    let parts: Buffer[];
    let lines: number;
    if (typeof content === 'string') {
      if (!content.endsWith('\n')) content += '\n';
      const alloc = scratch ? (n: number) => (n <= scratch.length ? scratch.subarray(0, n) : Buffer.allocUnsafe(n)) : Buffer.allocUnsafe;
      parts = [encodeUtf8(content, alloc)];
      lines = countLines(content);
    } else {
      parts = content.filter((b) => b.length > 0);
      const last = parts[parts.length - 1]!;
      if (last[last.length - 1] !== NEWLINE) parts.push(Buffer.from('\n'));
      lines = 0;
      for (const p of parts) lines += countNewlines(p);
    }
    let bytes = 0;
    for (const p of parts) bytes += p.length;
    this.received += bytes;
    const max = this.opts.logMaxSize;
    if (max !== null && (s.truncated || s.size + bytes > max)) {
      const text = this.acceptHead(s, concat(parts, bytes).toString('utf8'), max, code === CODED ? '' : code ?? '');
      parts = text ? [Buffer.from(text, 'utf8')] : [];
      bytes = parts[0]?.length ?? 0;
      lines = countLines(text);
    } else {
      s.size += bytes;
    }
    if (bytes) this.queue(s, code, parts, bytes, lines);
    return parts;
  }

  private outageReason(s: OpenLog): string {
    return s.failing?.reason ?? this.db.health.outage?.reason ?? 'the database could not be written';
  }

  /**
   * Counts dropped lines into the marker at the end of the log's pending lines (the newest lines are
   * what is dropped, so that is where they were), adding the marker when there is none yet.
   */
  private dropLines(s: OpenLog, d: Dropped): void {
    s.droppedTotal ??= { lines: 0, bytes: 0, reason: d.reason };
    s.droppedTotal.lines += d.lines;
    s.droppedTotal.bytes += d.bytes;
    const last = s.pending[s.pending.length - 1];
    if (last?.drop) {
      last.drop.lines += d.lines;
      last.drop.bytes += d.bytes;
      const text = this.dropMarker(s, last.drop);
      const delta = text.length - last.bytes;
      last.parts = [text];
      last.bytes = text.length;
      s.pendingBytes += delta;
      this.heldBytes += delta;
      return;
    }
    const drop = { ...d };
    const text = this.dropMarker(s, drop);
    this.queue(s, s.row.type === 's' ? CODED : null, [text], text.length, 1, drop);
  }

  private dropMarker(s: OpenLog, d: Dropped): Buffer {
    const prefix = s.row.type === 's' ? 'h' : '';
    const what = d.lines === 1 ? `1 line (${d.bytes} bytes) of output was` : `${d.lines} lines (${d.bytes} bytes) of output were`;
    return Buffer.from(`${prefix}... ${what} dropped here: the database could not be written (${d.reason}) and the output held meanwhile filled db.outageBufferSize (${this.opts.outageBufferSize} bytes); raise it to hold more.\n`, 'utf8');
  }

  /**
   * Lines accepted before the outage was known may hold more than outageBufferSize: the newest
   * of this log beyond it are dropped, whole lines, into the marker at its end (never a marker).
   */
  private trim(s: OpenLog): void {
    while (this.heldBytes > this.opts.outageBufferSize) {
      const end = s.pending.length - 1;
      const run = s.pending[s.pending[end]?.drop ? end - 1 : end];
      if (!run || run.marker) return;
      const part = run.parts[run.parts.length - 1]!;
      // Cut inside the part when that is enough, at a line boundary (parts hold whole lines).
      const over = this.heldBytes - this.opts.outageBufferSize;
      const nl = over < part.length ? part.lastIndexOf(NEWLINE, part.length - over - 1) : -1;
      const cut = nl >= 0 ? part.subarray(nl + 1) : part;
      if (nl >= 0) run.parts[run.parts.length - 1] = part.subarray(0, nl + 1); else run.parts.pop();
      run.bytes -= cut.length;
      if (!run.parts.length) s.pending.splice(s.pending.indexOf(run), 1);
      s.pendingBytes -= cut.length;
      this.heldBytes -= cut.length;
      const lines = countNewlines(cut);
      s.numLines -= lines;
      s.size = Math.max(0, s.size - cut.length);
      this.dropLines(s, { lines, bytes: cut.length, reason: this.outageReason(s) });
    }
  }

  /** The lines of `text` that still fit under `max`; the rest only feed the tail (slow path, once per log). */
  private acceptHead(s: OpenLog, text: string, max: number, code: string): string {
    let accepted = '';
    const lines = text.slice(0, -1).split('\n');
    for (const line of lines) {
      const bytes = Buffer.byteLength(line) + 1;
      if (!s.truncated && s.size + bytes <= max) { accepted += line + '\n'; s.size += bytes; continue; }
      s.truncated = true;
      s.omittedBytes += bytes;
      if (this.opts.logMaxTailSize > 0) {
        s.tail.push(code + line); s.tailBytes += bytes;
        while (s.tailBytes > this.opts.logMaxTailSize && s.tail.length) s.tailBytes -= Buffer.byteLength(s.tail.shift()!) - code.length + 1;
      }
    }
    return accepted;
  }

  /** `marker`: a line of the writer's own (true), or the marker of dropped lines (what it counts). */
  private queue(s: OpenLog, code: PendingRun['code'], parts: Buffer[], bytes: number, lines: number, marker: boolean | Dropped = false): void {
    const last = s.pending[s.pending.length - 1];
    if (last && last.code === code && !last.marker && !marker) { last.parts.push(...parts); last.bytes += bytes; }
    else if (marker) s.pending.push(marker === true ? { code, parts, bytes, marker } : { code, parts, bytes, marker: true, drop: marker });
    else s.pending.push({ code, parts, bytes });
    s.pendingBytes += bytes;
    this.heldBytes += bytes;
    s.numLines += lines;
    // A failing log is flushed by its retry timer, not every logFlushDelayMs.
    if (!s.timer && !s.failing) {
      s.timer = setTimeout(() => { s.timer = null; this.flush(s.row.id).catch(() => { /* kept in s.error for the next append */ }); }, this.opts.logFlushDelayMs);
      s.timer.unref();
    }
  }

  /**
   * Writes buffered lines of one log as chunk rows (after any flush in flight). Through an outage it
   * resolves with the lines kept for the retry; another failure rejects (and those lines are lost).
   */
  flush(logid: number): Promise<void> {
    const s = this.open.get(logid);
    if (!s) return Promise.resolve();
    if (s.timer) { clearTimeout(s.timer); s.timer = null; }
    const done = s.flushing.then(() => this.writePending(s));
    s.flushing = done.catch((err) => { s.error ??= err; });
    return done;
  }

  /** Stores every line pending now; on an outage puts them back and schedules the retry. */
  private async writePending(s: OpenLog): Promise<void> {
    if (!s.pending.length) return;
    const runs = s.pending;
    const total = s.pendingBytes;
    s.pending = [];
    s.pendingBytes = 0;
    const startLine = s.committedLines;
    const endLines = s.numLines;
    try {
      const { data, stream } = storedForm(runs, total);
      const chunks = await this.toChunks(data, startLine, stream);
      await this.db.logs.appendChunks(s.row.id, chunks, endLines);
      // SQLite commits a turn's writes together after it: the rows are stored only once that worked.
      await this.db.durable();
    } catch (err) {
      const outage = this.db.health.failed(err);
      if (!outage) { this.heldBytes -= total; throw err; }
      this.keep(s, runs, total, outage);
      return;
    }
    s.committedLines = endLines;
    this.heldBytes -= total;
    if (s.failing) {
      s.failing = null;
      s.retryDelay = 0;
      if (s.retryTimer) { clearTimeout(s.retryTimer); s.retryTimer = null; }
    }
    this.db.health.worked();
  }

  /** Lines of a flush that met an outage go back in front of those that came meanwhile, for the retry. */
  private keep(s: OpenLog, runs: PendingRun[], total: number, outage: DatabaseOutage): void {
    s.pending = runs.concat(s.pending);
    s.pendingBytes += total;
    if (!s.failing) s.failingSince = Date.now();
    s.failing = outage;
    this.trim(s);
    if (s.retryTimer || !this.open.has(s.row.id)) return;
    s.retryDelay = nextRetryDelay(s.retryDelay);
    s.retryTimer = setTimeout(() => {
      s.retryTimer = null;
      this.flush(s.row.id).catch(() => { /* kept in s.error for the next append */ });
    }, s.retryDelay);
    s.retryTimer.unref();
  }

  /** Flushes until every line of the log is stored, waiting through an outage for up to outageTimeoutMs. */
  private async storeAll(s: OpenLog): Promise<void> {
    for (;;) {
      await this.flush(s.row.id);
      if (!s.pending.length) return;
      if (!s.failing) continue; // lines came in meanwhile
      const waited = Date.now() - s.failingSince;
      const left = this.opts.outageTimeoutMs - waited;
      if (left <= 0) throw new OutageTimeoutError(`storing the last ${s.numLines - s.committedLines} line(s) of log ${s.row.id}`, s.failing, waited, null);
      await sleep(Math.min(left, Math.max(s.retryDelay, nextRetryDelay(0))));
    }
  }

  private throwPendingError(s: OpenLog): void {
    if (s.error === undefined) return;
    const err = s.error;
    s.error = undefined;
    throw new Error(`writing log ${s.row.id} to the database failed: ${(err as Error)?.message ?? err}`, { cause: err });
  }

  /** Cuts whole lines into pieces of about `logChunkSize` bytes (views of `data`) and compresses them. */
  private toChunks(data: Buffer, firstLine: number, stream: StreamCode | null): Promise<ChunkRow[]> {
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
      pieces.push(this.compressor.compress(piece).then((c) => ({ first_line: first, last_line: first + n - 1, ...c, stream })));
      start = end;
    }
    return Promise.all(pieces);
  }

  /**
   * Writes the truncation marker and tail (if any), stores everything (waiting through an outage),
   * and forgets the log. `dropped`: what the log lost to a full outage buffer (its markers say where).
   */
  async finish(logid: number): Promise<{ row: LogRow; numLines: number; tailContent: string; tailFirstLine: number; dropped: Dropped | null }> {
    const s = await this.state(logid);
    let tailContent = '';
    const tailFirstLine = s.numLines;
    if (s.truncated) {
      const kept = s.tail.length ? ` The last ${s.tailBytes} bytes follow.` : '';
      const prefix = s.row.type === 's' ? 'h' : '';
      tailContent = `${prefix}\n${prefix}... Output exceeded logMaxSize (${this.opts.logMaxSize} bytes): ${s.omittedBytes - s.tailBytes} bytes were dropped.${kept} Raise logMaxSize to keep more.\n`;
      tailContent += s.tail.map((l) => l + '\n').join('');
      const bytes = Buffer.from(tailContent, 'utf8');
      this.queue(s, s.row.type === 's' ? CODED : null, [bytes], bytes.length, countLines(tailContent), true);
    }
    try {
      await this.storeAll(s);
      this.throwPendingError(s);
    } finally {
      this.open.delete(logid);
      if (s.retryTimer) { clearTimeout(s.retryTimer); s.retryTimer = null; }
      // Given up on (the outage outlasted outageTimeoutMs): no longer held; the error says how many.
      this.heldBytes -= s.pendingBytes;
    }
    return { row: s.row, numLines: s.numLines, tailContent, tailFirstLine, dropped: s.droppedTotal };
  }

  /** Flushes every open log (shutdown). */
  async flushAll(): Promise<void> {
    await Promise.all([...this.open.keys()].map((id) => this.flush(id)));
  }
}

/**
 * The bytes to store for one flush: runs of a single stream go as they are, the stream named once per
 * chunk; runs mixing streams get Buildbot's per-line codes (via latin1, which maps bytes 1:1).
 */
function storedForm(runs: readonly PendingRun[], total: number): { data: Buffer; stream: StreamCode | null } {
  const code = runs[0]!.code;
  if (runs.every((r) => r.code === code) && code !== CODED) {
    return { data: concat(runs.length === 1 ? runs[0]!.parts : runs.flatMap((r) => r.parts), total), stream: code };
  }
  const coded = runs.map((r) => {
    const bytes = concat(r.parts, r.bytes);
    return r.code === CODED || r.code === null ? bytes : Buffer.from(withLineCodes(bytes.toString('latin1'), r.code), 'latin1');
  });
  return { data: Buffer.concat(coded), stream: null };
}

/**
 * How an append's lines are held: an 's' log's lines of the given stream, or (no stream given) lines
 * that carry their codes already, as Buildbot's appendLog takes them; other logs have no codes.
 */
function codeOf(row: LogRow, stream: StreamCode | undefined): PendingRun['code'] {
  return row.type === 's' ? stream ?? CODED : null;
}

/** The text of accepted bytes as live listeners get it: with the stream code before every line of an 's' log. */
function liveText(parts: readonly Buffer[], code: StreamCode | null): string {
  const text = parts.map((p) => p.toString('utf8')).join('');
  return code ? withLineCodes(text, code) : text;
}

function newOpenLog(row: LogRow): OpenLog {
  return {
    row, committedLines: row.num_lines, numLines: row.num_lines, pending: [], pendingBytes: 0, size: 0,
    truncated: false, omittedBytes: 0, tail: [], tailBytes: 0, timer: null, flushing: Promise.resolve(), error: undefined,
    failing: null, failingSince: 0, retryDelay: 0, retryTimer: null, droppedTotal: null,
  };
}

/** Copies the queued parts that are views of the scratch buffer (it is about to be reused). */
function unborrow(s: OpenLog, scratch: Buffer): void {
  for (const run of s.pending) {
    for (let i = 0; i < run.parts.length; i++) {
      if (run.parts[i]!.buffer === scratch.buffer) run.parts[i] = Buffer.from(run.parts[i]!);
    }
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
