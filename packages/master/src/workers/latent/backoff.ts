/**
 * Failure backoff of one latent provider (Buildbot's worker quarantine, `worker/base.py`: 10 s after
 * a failed substantiation, doubling up to an hour). Each failure to start an instance pauses the
 * provider for the current delay and doubles it; an instance whose worker attaches resets it. While
 * paused nothing is started, and the requests waiting for it say why in their pending reason.
 */

export interface BackoffOptions {
  /** Milliseconds of the first pause. */
  initialMs: number;
  /** The longest pause, ms. */
  maxMs: number;
}

export interface BackoffState {
  /** Failures in a row since the last instance that attached. */
  failures: number;
  /** What the last failure said; null when none. */
  lastError: string | null;
  /** Until when (ms since the epoch) nothing is started; null when not paused. */
  pausedUntil: number | null;
}

export class FailureBackoff {
  private failures = 0;
  private lastError: string | null = null;
  private until = 0;
  private nextDelayMs: number;

  constructor(private readonly options: BackoffOptions, private readonly now: () => number = Date.now) {
    this.nextDelayMs = options.initialMs;
  }

  /** Milliseconds until starts are allowed again (0: now). */
  remainingMs(): number { return Math.max(0, this.until - this.now()); }

  get paused(): boolean { return this.remainingMs() > 0; }

  /** A start failed: pause for the current delay, and double the next one (up to maxMs). */
  failed(message: string): number {
    this.failures++;
    this.lastError = message;
    const delay = this.nextDelayMs;
    this.until = this.now() + delay;
    this.nextDelayMs = Math.min(this.options.maxMs, Math.max(1, delay * 2));
    return delay;
  }

  /** An instance's worker attached: the provider works, the next failure starts from initialMs again. */
  succeeded(): void {
    this.failures = 0;
    this.lastError = null;
    this.until = 0;
    this.nextDelayMs = this.options.initialMs;
  }

  state(): BackoffState {
    return { failures: this.failures, lastError: this.lastError, pausedUntil: this.paused ? this.until : null };
  }
}
