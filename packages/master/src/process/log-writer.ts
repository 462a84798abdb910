/**
 * A step log being written. Output arrives in arbitrary chunks per stream (stdout, stderr, header);
 * the data layer stores complete lines. Per stream: redact secrets (holding back a possible secret
 * prefix), cut into complete lines (holding back the partial last line), and coalesce consecutive
 * lines of the same stream into one `appendLog` call. Appends are serialised so the stored order is
 * the arrival order, and batched: while one append is in flight, new output accumulates into the
 * next, so a fast producer makes fewer, bigger appends rather than more.
 */
import type { Updates } from '../data/updates-api.js';
import type { LogType, LogWriter } from './step-types.js';
import type { Redactor, RedactingStream } from './redactor.js';

type StreamCode = 'o' | 'e' | 'h' | '';

export interface LogWriterOptions {
  /** Bytes buffered before an append is started without waiting for the next tick. Default 256 KiB. */
  flushBytes?: number;
}

interface Segment { stream: StreamCode; text: string }

export class BufferedLogWriter implements LogWriter {
  private readonly redact = new Map<StreamCode, RedactingStream>();
  private readonly partial = new Map<StreamCode, string>();
  private segments: Segment[] = [];
  private bufferedBytes = 0;
  private inFlight: Promise<void> | null = null;
  private scheduled = false;
  private finished: Promise<void> | null = null;
  private failure: unknown = null;
  private readonly flushBytes: number;

  constructor(
    private readonly updates: Updates,
    readonly logid: number,
    readonly name: string,
    readonly type: LogType,
    private readonly redactor: Redactor,
    opts: LogWriterOptions = {},
  ) {
    this.flushBytes = opts.flushBytes ?? 256 * 1024;
  }

  addStdout(text: string): void { this.add('o', text); }
  addStderr(text: string): void { this.add('e', text); }
  addHeader(text: string): void { this.add('h', text); }
  addContent(text: string): void { this.add(this.type === 's' ? 'o' : '', text); }

  private add(stream: StreamCode, text: string): void {
    if (this.finished || !text) return;
    let rs = this.redact.get(stream);
    if (!rs) this.redact.set(stream, (rs = this.redactor.stream()));
    this.addLines(stream, rs.push(text));
  }

  /** Queues the complete lines of `text` (the unterminated rest waits for more output). */
  private addLines(stream: StreamCode, text: string): void {
    if (!text) return;
    const prev = this.partial.get(stream) ?? '';
    const lastNl = text.lastIndexOf('\n');
    if (lastNl < 0) { this.partial.set(stream, prev + text); return; }
    this.partial.set(stream, text.slice(lastNl + 1));
    this.queue(stream, prev + text.slice(0, lastNl + 1));
  }

  private queue(stream: StreamCode, lines: string): void {
    const last = this.segments[this.segments.length - 1];
    if (last && last.stream === stream) last.text += lines;
    else this.segments.push({ stream, text: lines });
    this.bufferedBytes += lines.length;
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
        const batch = this.segments;
        this.segments = [];
        this.bufferedBytes = 0;
        for (const s of batch) {
          try {
            await this.updates.appendLog(this.logid, s.text, s.stream === '' ? undefined : s.stream);
          } catch (err) {
            // Keep the build going (a log write failure must not hang the step); report at finish.
            this.failure ??= err;
          }
        }
      }
    };
    this.inFlight = run().finally(() => { this.inFlight = null; });
    return this.inFlight;
  }

  finish(): Promise<void> {
    if (this.finished) return this.finished;
    // Flush the redaction tails, then the unterminated last lines (terminated, as Buildbot does).
    for (const [stream, rs] of this.redact) this.addLines(stream, rs.flush());
    for (const [stream, rest] of this.partial) if (rest) this.queue(stream, rest + '\n');
    this.partial.clear();
    this.finished = (async () => {
      while (this.inFlight || this.segments.length) await this.flush();
      await this.updates.finishLog(this.logid);
      if (this.failure) throw this.failure;
    })();
    return this.finished;
  }
}
