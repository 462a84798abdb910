/**
 * A per-minute allowance as a token bucket: it starts full with `perMinute` tokens and regains them
 * at `perMinute` a minute, so a burst of `perMinute` passes and a steady rate above it does not.
 * Used to bound what one connection's peer can make us do per minute (log a warning, forgive a
 * protocol error) without keeping a history of events: two numbers per budget.
 */
export class RateBudget {
  private tokens: number;
  private updatedAt: number;
  private refusedCount = 0;

  /** `perMinute` 0 means no limit: every take() succeeds. */
  constructor(readonly perMinute: number, private readonly now: () => number = () => performance.now()) {
    if (!(perMinute >= 0)) throw new RangeError(`perMinute must be 0 (no limit) or more, got ${perMinute}`);
    this.tokens = perMinute;
    this.updatedAt = now();
  }

  /** Takes one token; false (and counted as refused) when none is left. */
  take(): boolean {
    if (this.perMinute === 0) return true;
    const now = this.now();
    this.tokens = Math.min(this.perMinute, this.tokens + ((now - this.updatedAt) * this.perMinute) / 60_000);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.refusedCount++;
    return false;
  }

  /** Refused take() calls since the last call of this one; resets the count. */
  takeRefused(): number {
    const n = this.refusedCount;
    this.refusedCount = 0;
    return n;
  }
}
