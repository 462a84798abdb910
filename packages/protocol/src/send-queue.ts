/**
 * Ordered, backpressured sending on one WebSocket. A frame goes out at once while the socket's
 * buffered amount is under the high-water mark; past it, frames wait in FIFO order until the socket
 * drains, so a fast producer (a 100 MB stdout stream) cannot grow memory without bound and frames
 * never overtake each other.
 */
import { WebSocket } from 'ws';

/** Re-check interval while blocked, in case drain happens without one of our send callbacks firing. */
const DRAIN_POLL_MS = 25;

interface QueuedFrame {
  /** null marks a waitWritable() waiter rather than a frame. */
  data: Buffer | string | null;
  done: (err?: Error) => void;
}

function frameSize(data: Buffer | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

export class SendQueue {
  private readonly queue: QueuedFrame[] = [];
  private queuedBytes = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private stopped: Error | undefined;
  private readonly onSent = (): void => this.flush();

  constructor(private readonly ws: WebSocket, private readonly highWaterMark: number) {
    if (ws.readyState === WebSocket.CONNECTING) ws.once('open', this.onSent);
  }

  /** Bytes waiting in the socket plus bytes waiting here. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount + this.queuedBytes;
  }

  /** True when a new frame would have to wait. */
  get blocked(): boolean {
    return this.queue.length > 0 || !this.writable();
  }

  /**
   * Sends `data` now or after earlier frames; `done` runs once the frame is handed to the socket
   * (or with an error if the connection ends first). Sending itself never throws.
   */
  send(data: Buffer | string, done: (err?: Error) => void = noop): void {
    if (this.stopped) return done(this.stopped);
    if (!this.blocked) return this.write(data, done);
    this.queue.push({ data, done });
    this.queuedBytes += frameSize(data);
    this.schedulePoll();
  }

  /** Resolves when a frame sent now would go out at once (used to make `request()` wait for drain). */
  waitWritable(): Promise<void> {
    if (!this.blocked) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // A marker in the queue keeps ordering: it resolves exactly when its turn comes.
      this.queue.push({ data: null, done: (err) => (err ? reject(err) : resolve()) });
      this.schedulePoll();
    });
  }

  /** Fails every waiting frame; later sends fail at once. */
  stop(reason: Error): void {
    this.stopped = reason;
    clearTimeout(this.pollTimer);
    this.ws.off('open', this.onSent);
    const waiting = this.queue.splice(0);
    this.queuedBytes = 0;
    for (const frame of waiting) frame.done(reason);
  }

  private writable(): boolean {
    return this.ws.readyState === WebSocket.OPEN && this.ws.bufferedAmount < this.highWaterMark;
  }

  private write(data: Buffer | string, done: (err?: Error) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) return done(new Error('WebSocket is not open'));
    try {
      // The callback fires once the bytes reached the kernel: the moment to look at the queue again.
      this.ws.send(data, { binary: typeof data !== 'string' }, this.onSent);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.stopped && this.writable()) {
      const frame = this.queue.shift()!;
      if (frame.data === null) { frame.done(); continue; }
      this.queuedBytes -= frameSize(frame.data);
      this.write(frame.data, frame.done);
    }
    if (this.queue.length > 0) this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.pollTimer || this.stopped) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.flush();
    }, DRAIN_POLL_MS);
    this.pollTimer.unref();
  }
}

function noop(): void {}
