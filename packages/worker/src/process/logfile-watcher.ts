/**
 * Follows a file a shell command writes (Buildbot's `logfiles`): polls it, and sends what was
 * appended as `log` updates. The file may not exist yet, or exist from an earlier run: content is
 * only sent once the file changed after the command started; with `follow` only the bytes appended
 * since the command started.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export const DEFAULT_LOGFILE_POLL_MS = 2000;

type Stamp = { ctimeMs: number; mtimeMs: number; size: number } | null;

function stamp(file: string): Stamp {
  try { const s = statSync(file); return { ctimeMs: s.ctimeMs, mtimeMs: s.mtimeMs, size: s.size }; } catch { return null; }
}

const sameStamp = (a: Stamp, b: Stamp) => a === b || (!!a && !!b && a.ctimeMs === b.ctimeMs && a.mtimeMs === b.mtimeMs && a.size === b.size);

export class LogfileWatcher {
  private initial: Stamp;
  /** With `follow`, reading starts where the file ended when the command started. */
  private readonly startSize: number;
  private fd: number | null = null;
  private position = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buf = Buffer.alloc(64 * 1024);

  constructor(readonly name: string, private readonly file: string, private readonly follow: boolean,
    private readonly onText: (name: string, text: string) => void, private readonly pollMs = DEFAULT_LOGFILE_POLL_MS) {
    this.initial = stamp(file);
    this.startSize = this.initial?.size ?? 0;
  }

  start(): void { this.timer = setInterval(() => this.poll(), this.pollMs); this.timer.unref(); }

  /** Reads what is left and stops. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.poll();
    const rest = this.decoder.end();
    if (rest) this.onText(this.name, rest);
    if (this.fd !== null) { closeSync(this.fd); this.fd = null; }
  }

  poll(): void {
    try {
      if (this.fd === null) {
        const now = stamp(this.file);
        if (sameStamp(now, this.initial)) return;
        if (!now) { this.initial = null; return; } // deleted, waiting for the new one
        this.fd = openSync(this.file, 'r');
        this.position = this.follow && this.initial && now.size >= this.startSize ? this.startSize : 0;
      }
      for (;;) {
        const n = readSync(this.fd, this.buf, 0, this.buf.length, this.position);
        if (n <= 0) return;
        this.position += n;
        const text = this.decoder.write(this.buf.subarray(0, n));
        if (text) this.onText(this.name, text);
      }
    } catch { /* the file vanished between stat and read: try again next poll */ }
  }
}
