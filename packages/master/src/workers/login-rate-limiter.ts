/**
 * Failed-login limiting per key (a remote address; on the worker port an address and worker name,
 * see upgrade-auth.ts): a token bucket that only failures drain. A key starts with `burst` tokens;
 * each failed login takes one; tokens come back at `refillPerSecond`. With no token left the key is
 * refused before its credentials are even checked, so a password guesser gets `burst` tries, then
 * about `refillPerSecond` tries per second.
 *
 * Successful logins cost nothing, so a fleet of workers behind one NAT address is never throttled
 * by its own reconnects. Memory is bounded by `maxTrackedAddresses` (oldest entries are dropped).
 *
 * Checks that take time (scrypt password hashes, ~50 ms) must charge the try before checking and
 * give it back on success (`takeLoginAttempt`): otherwise a guesser sending hundreds of logins at
 * once gets all of them past the limiter before the first failure is recorded.
 */
export interface LoginRateLimitOptions {
  /** Failed logins allowed in a burst per address. Default 10. */
  burst?: number;
  /** Tokens returned per second per address. Default 0.2 (one more try every 5 s). */
  refillPerSecond?: number;
  /** Addresses tracked at once; beyond this the oldest are forgotten. Default 10,000. */
  maxTrackedAddresses?: number;
}

interface Bucket { tokens: number; updatedAt: number }

export class LoginRateLimiter {
  private readonly burst: number;
  private readonly refillPerMs: number;
  private readonly maxTracked: number;
  // Map iteration order is insertion order: re-inserting on every failure keeps it an LRU.
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: LoginRateLimitOptions = {}, private readonly now: () => number = Date.now) {
    this.burst = options.burst ?? 10;
    this.refillPerMs = (options.refillPerSecond ?? 0.2) / 1000;
    this.maxTracked = options.maxTrackedAddresses ?? 10_000;
  }

  /** True when `address` may try to log in now. */
  allows(address: string): boolean {
    const bucket = this.buckets.get(address);
    if (!bucket) return true;
    return this.refill(address, bucket) >= 1;
  }

  /** Milliseconds until `address` gets its next try (0 when it may try now). */
  retryAfterMs(address: string): number {
    const bucket = this.buckets.get(address);
    if (!bucket) return 0;
    const tokens = this.refill(address, bucket);
    if (tokens >= 1 || this.refillPerMs <= 0) return tokens >= 1 ? 0 : Number.POSITIVE_INFINITY;
    return Math.ceil((1 - tokens) / this.refillPerMs);
  }

  recordFailure(address: string): void {
    let bucket = this.buckets.get(address);
    if (bucket) {
      this.refill(address, bucket);
      this.buckets.delete(address);
    } else {
      bucket = { tokens: this.burst, updatedAt: this.now() };
    }
    bucket.tokens = Math.max(0, bucket.tokens - 1);
    this.buckets.set(address, bucket);
    if (this.buckets.size > this.maxTracked) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }

  /** Gives back one try taken by `recordFailure` (the credentials were right after all). */
  refund(address: string): void {
    const bucket = this.buckets.get(address);
    if (!bucket) return;
    this.refill(address, bucket);
    bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
    if (bucket.tokens >= this.burst) this.buckets.delete(address);
  }

  /** Number of addresses currently tracked (for tests and metrics). */
  get size(): number { return this.buckets.size; }

  private refill(address: string, bucket: Bucket): number {
    const now = this.now();
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updatedAt) * this.refillPerMs);
    bucket.updatedAt = now;
    // A full bucket carries no information: forget it so the map only holds recent offenders.
    if (bucket.tokens >= this.burst) this.buckets.delete(address);
    return bucket.tokens;
  }
}

/** A try charged to every key of a login: `refund()` gives it back (right credentials, or a check that could not run). */
export type LoginAttempt = { ok: true; refund(): void } | { ok: false; retryAfterMs: number };

/**
 * Charges one failed try to each `[limiter, key]` (e.g. per address and per user name) before the
 * credentials are checked, unless one of them has no try left (then nothing is charged and the
 * wait is returned). Concurrent attempts thus see each other's tries at once.
 */
export function takeLoginAttempt(keys: ReadonlyArray<readonly [LoginRateLimiter, string]>): LoginAttempt {
  const wait = Math.max(0, ...keys.map(([l, k]) => l.retryAfterMs(k)));
  if (wait > 0) return { ok: false, retryAfterMs: wait };
  for (const [l, k] of keys) l.recordFailure(k);
  return { ok: true, refund: () => { for (const [l, k] of keys) l.refund(k); } };
}

/** Gives back a try `takeLoginAttempt` charged; nothing when none was charged or it was refused. */
export function refundAttempt(attempt: LoginAttempt | null): void {
  if (attempt?.ok) attempt.refund();
}
