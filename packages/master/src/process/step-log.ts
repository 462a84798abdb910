/**
 * A step's log being written (what `rt.addLog` hands a step: the StepLog of step-types.ts), on its
 * way to the data layer's LogStore (data/log-store.ts). Output arrives in arbitrary chunks per stream (stdout, stderr, header);
 * the data layer stores complete lines. Per stream: redact secrets (holding back a possible secret
 * prefix), cut into complete lines (holding back the partial last line), and coalesce consecutive
 * lines of the same stream into one `appendLog` call. Appends are serialised so the stored order is
 * the arrival order, and batched: while one append is in flight, new output accumulates into the
 * next, so a fast producer makes fewer, bigger appends rather than more.
 *
 * Output comes as text, or as UTF-8 bytes (a mastro worker's `update`s): bytes of whole lines, with
 * nothing held back for their stream and no secret to hide, go to the data layer as they are, so the
 * master never decodes them; anything else is decoded (a split character waits for its rest) and
 * takes the text path.
 *
 * Output is accepted whatever happens (nothing is dropped), but `whenWritable()` tells the producer
 * when more than `maxBufferedBytes` are waiting to be stored: the worker connection then holds back
 * its acknowledgement of the `update`, so a worker that outruns the database is slowed by its own
 * in-flight window instead of piling its output up in the master's memory.
 *
 * Through a database outage the data layer holds the lines (bounded by db.outageBufferSize) and
 * appends return at once; once that buffer is full it drops lines (marking the place in the log)
 * and `onLinesDropped` tells the step's build, which then ends RETRY.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Updates } from '../data/updates-api.js';
import { LogLinesDroppedError } from '../data/errors.js';
import { NEWLINE, STEP_LOG_DEFAULTS, STREAM_CODES, type StreamCode } from '../data/log-constants.js';
import type { LogType, StepLog } from './step-types.js';
import type { Redactor, RedactingStream } from './redactor.js';

/** An 's' log's stream, or '' for the lines of a text or html log. */
type Stream = StreamCode | '';

/** Defaults in STEP_LOG_DEFAULTS (data/log-constants.ts). */
export interface StepLogOptions {
  /** Bytes buffered before an append is started without waiting for the next tick. Default 256 KiB. */
  flushBytes?: number;
  /**
   * Bytes accepted but not yet stored above which `whenWritable()` makes producers wait. Default
   * 4 MiB: a few appends' worth, enough to keep the database busy without holding whole logs.
   */
  maxBufferedBytes?: number;
  /**
   * Longest a producer is kept waiting by `whenWritable()` (default 10 s), so a stalled database
   * never runs a worker's update into its request timeout (30 s); output then buffers as before.
   */
  maxWaitMs?: number;
  /**
   * Largest text handed to one `appendLog` (default 1 MiB; one longer line still goes whole).
   * Bigger appends are no faster, but their strings and buffers are alive at once and the big
   * strings land in V8's large-object space, which only a full GC frees: this bounds the peak.
   */
  maxAppendBytes?: number;
  /** Told (once) when the data layer dropped lines of this log (LogLinesDroppedError). */
  onLinesDropped?: (err: LogLinesDroppedError) => void;
}

/** Output queued for one appendLog: text, or (`parts` set) UTF-8 bytes of whole lines. */
interface Segment { stream: Stream; text: string; parts: Buffer[] | null; size: number }

export class BufferedStepLog implements StepLog {
  private readonly redact = new Map<Stream, RedactingStream>();
  private readonly partial = new Map<Stream, string>();
  /** Streams whose last bytes did not end a line: their decoder may hold part of a character. */
  private readonly decoders = new Map<Stream, StringDecoder>();
  private segments: Segment[] = [];
  private bufferedBytes = 0;
  private inFlight: Promise<void> | null = null;
  private scheduled = false;
  private finished: Promise<void> | null = null;
  private failure: unknown = null;
  private readonly flushBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly maxWaitMs: number;
  private readonly maxAppendBytes: number;
  private readonly onLinesDropped: ((err: LogLinesDroppedError) => void) | null;
  /** Accepted and not yet stored (queued + being appended), in characters or bytes. */
  private unstoredBytes = 0;
  /** Producers waiting for `unstoredBytes` to fall under the bound; woken after each stored append. */
  private writable: { promise: Promise<void>; resolve: () => void; timer: NodeJS.Timeout } | null = null;

  constructor(
    private readonly updates: Updates,
    readonly logid: number,
    readonly name: string,
    readonly type: LogType,
    private readonly redactor: Redactor,
    opts: StepLogOptions = {},
  ) {
    this.flushBytes = opts.flushBytes ?? STEP_LOG_DEFAULTS.flushBytes;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? STEP_LOG_DEFAULTS.maxBufferedBytes;
    this.maxWaitMs = opts.maxWaitMs ?? STEP_LOG_DEFAULTS.maxWaitMs;
    this.maxAppendBytes = opts.maxAppendBytes ?? STEP_LOG_DEFAULTS.maxAppendBytes;
    this.onLinesDropped = opts.onLinesDropped ?? null;
  }

  /**
   * Null while the writer has room; else a promise that resolves once what is buffered has been
   * stored down below `maxBufferedBytes` (or `maxWaitMs` passed, or the log finished). All waiting
   * producers share one promise, so asking per update costs nothing while the database keeps up.
   */
  whenWritable(): Promise<void> | null {
    if (this.unstoredBytes < this.maxBufferedBytes || this.finished) return null;
    if (!this.writable) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => { resolve = r; });
      const timer = setTimeout(() => this.wakeWriters(), this.maxWaitMs);
      timer.unref();
      this.writable = { promise, resolve, timer };
    }
    return this.writable.promise;
  }

  private wakeWriters(): void {
    const w = this.writable;
    if (!w) return;
    this.writable = null;
    clearTimeout(w.timer);
    w.resolve();
  }

  addStdout(output: string | Uint8Array): void { this.add(STREAM_CODES.stdout, output); }
  addStderr(output: string | Uint8Array): void { this.add(STREAM_CODES.stderr, output); }
  addHeader(output: string | Uint8Array): void { this.add(STREAM_CODES.header, output); }
  addContent(output: string | Uint8Array): void { this.add(this.type === 's' ? STREAM_CODES.stdout : '', output); }

  private add(stream: Stream, output: string | Uint8Array): void {
    if (this.finished || !output.length) return;
    if (typeof output === 'string') { this.addText(stream, output); return; }
    const bytes = Buffer.isBuffer(output) ? output : Buffer.from(output.buffer, output.byteOffset, output.byteLength);
    if (bytes[bytes.length - 1] === NEWLINE && !this.redactor.hasSecrets && !this.partial.get(stream) && !this.decoders.has(stream)) {
      this.queueBytes(stream, bytes);
      return;
    }
    let decoder = this.decoders.get(stream);
    if (!decoder) this.decoders.set(stream, (decoder = new StringDecoder('utf8')));
    const text = decoder.write(bytes);
    // Bytes ending a line leave nothing half-decoded: the stream may take the byte path again.
    if (bytes[bytes.length - 1] === NEWLINE) this.decoders.delete(stream);
    this.addText(stream, text);
  }

  private addText(stream: Stream, text: string): void {
    if (!text) return;
    let rs = this.redact.get(stream);
    if (!rs) this.redact.set(stream, (rs = this.redactor.stream()));
    this.addLines(stream, rs.push(text));
  }

  /** Queues the complete lines of `text` (the unterminated rest waits for more output). */
  private addLines(stream: Stream, text: string): void {
    if (!text) return;
    const prev = this.partial.get(stream) ?? '';
    const lastNl = text.lastIndexOf('\n');
    if (lastNl < 0) { this.partial.set(stream, prev + text); return; }
    this.partial.set(stream, text.slice(lastNl + 1));
    this.queue(stream, prev + text.slice(0, lastNl + 1));
  }

  private queue(stream: Stream, lines: string): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.stream === stream && !last.parts && last.size + lines.length <= this.maxAppendBytes) { last.text += lines; last.size += lines.length; }
    else this.segments.push({ stream, text: lines, parts: null, size: lines.length });
    this.queued(lines.length);
  }

  /** Queues UTF-8 bytes of whole lines as they are (views of the worker's frames, not copies). */
  private queueBytes(stream: Stream, bytes: Buffer): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.stream === stream && last.parts && last.size + bytes.length <= this.maxAppendBytes) { last.parts.push(bytes); last.size += bytes.length; }
    else this.segments.push({ stream, text: '', parts: [bytes], size: bytes.length });
    this.queued(bytes.length);
  }

  private queued(size: number): void {
    this.bufferedBytes += size;
    this.unstoredBytes += size;
    this.schedule();
  }

  private schedule(): void {
    if (this.inFlight) return; // the running flush picks the new segments up when it is done
    if (this.bufferedBytes >= this.flushBytes) { void this.flush(); return; }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => { this.scheduled = false; void this.flush(); });
  }

  /** Writes everything queued so far; resolves when it is stored. */
  private flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (this.segments.length === 0) return Promise.resolve();
    const run = async () => {
      while (this.segments.length) {
        // One segment at a time, so each text is let go as soon as it is appended.
        const s = this.segments.shift()!;
        this.bufferedBytes -= s.size;
        try {
          await this.updates.appendLog(this.logid, s.parts ?? s.text, s.stream === '' ? undefined : s.stream);
        } catch (err) {
          // Keep the build going (a log write failure must not hang the step); report at finish.
          this.noteFailure(err);
        }
        this.unstoredBytes -= s.size;
        if (this.unstoredBytes < this.maxBufferedBytes) this.wakeWriters();
      }
    };
    this.inFlight = run().finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  /** Keeps the first failure for finish; lines dropped are told at once (the build must not end as if whole). */
  private noteFailure(err: unknown): void {
    if (err instanceof LogLinesDroppedError && !this.droppedTold) {
      this.droppedTold = true;
      this.onLinesDropped?.(err);
    }
    this.failure ??= err;
  }

  private droppedTold = false;

  finish(): Promise<void> {
    if (this.finished) return this.finished;
    // Flush half-decoded characters, the redaction tails, then the unterminated last lines
    // (terminated, as Buildbot does).
    for (const [stream, decoder] of this.decoders) this.addText(stream, decoder.end());
    this.decoders.clear();
    for (const [stream, rs] of this.redact) this.addLines(stream, rs.flush());
    for (const [stream, rest] of this.partial) if (rest) this.queue(stream, rest + '\n');
    this.partial.clear();
    this.finished = (async () => {
      while (this.inFlight || this.segments.length) await this.flush();
      try {
        await this.updates.finishLog(this.logid);
      } catch (err) {
        this.noteFailure(err);
      }
      if (this.failure) throw this.failure;
    })().finally(() => this.wakeWriters());
    return this.finished;
  }
}
