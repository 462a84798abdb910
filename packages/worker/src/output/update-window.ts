/**
 * Flow control for one command's `update`s: at most `maxInFlight` updates await the master's
 * acknowledgement. Batches produced while the window is full are not queued one by one: they are
 * merged into a single held batch (consecutive text of a stream joins), which goes out as soon as an
 * acknowledgement frees a slot. So while the master keeps up, updates stay `buffer_size` small (low
 * latency for live logs); when it falls behind, the same output travels in fewer, larger updates
 * (up to `maxHeldCost`), which costs the master less per byte. Only when the held batch is full is
 * the producer told to pause (`congested`).
 */
import { appendPair, costOf, type UpdatePair } from './update-buffer.js';

/** Updates awaiting acknowledgement before output is held back (default of `maxUpdatesInFlight`). */
export const DEFAULT_MAX_UPDATES_IN_FLIGHT = 16;
/** Largest held batch, in Buildbot's cost units (≈ bytes of text), before output pauses (1 MiB). */
export const DEFAULT_MAX_UPDATE_COST = 1024 * 1024;

export class UpdateWindow {
  private inFlight = 0;
  private held: UpdatePair[] = [];
  private heldCost = 0;
  private waiters: Array<() => void> = [];
  private disposed = false;

  constructor(
    /** Sends one update; resolves or rejects when the master answered (or the connection died). */
    private readonly transmit: (pairs: UpdatePair[]) => Promise<unknown>,
    private readonly maxInFlight: number,
    private readonly maxHeldCost: number,
  ) {}

  /** True while the producer should pause: the window is full and the held batch is too. */
  get congested(): boolean {
    return this.inFlight >= this.maxInFlight && this.heldCost >= this.maxHeldCost;
  }

  /** Updates sent and not yet acknowledged. */
  get pending(): number { return this.inFlight; }

  /** Sends `pairs` now if the window has room, else merges them into the held batch. */
  send(pairs: UpdatePair[]): void {
    if (this.disposed) return;
    if (this.inFlight < this.maxInFlight && !this.held.length) { this.start(pairs); return; }
    if (!this.held.length) {
      this.held = pairs; // the batch is ours (the buffer hands over ownership)
    } else {
      for (const [key, value] of pairs) appendPair(this.held, key, value);
    }
    for (const [key, value] of pairs) this.heldCost += costOf(key, value);
  }

  /** Resolves when the producer may go on (not congested, or the window was disposed). */
  whenDrained(): Promise<void> {
    if (!this.congested || this.disposed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once nothing is held back any more (everything handed to the connection). */
  async whenSent(): Promise<void> {
    while (this.held.length && !this.disposed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** The connection is gone: drop what is held and release every waiter. */
  dispose(): void {
    this.disposed = true;
    this.held = [];
    this.heldCost = 0;
    this.wake();
  }

  private start(pairs: UpdatePair[]): void {
    this.inFlight++;
    this.transmit(pairs).then(() => this.acknowledged(), () => this.acknowledged());
  }

  private acknowledged(): void {
    this.inFlight--;
    if (this.held.length && !this.disposed && this.inFlight < this.maxInFlight) {
      const batch = this.held;
      this.held = [];
      this.heldCost = 0;
      this.start(batch);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
