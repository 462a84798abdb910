/**
 * Remembers the delivery ids of webhooks already recorded (GitHub's X-GitHub-Delivery, GitLab's
 * X-Gitlab-Event-UUID, a body hash for Gerrit) so a redelivered or replayed request records nothing.
 * Bounded in count and age: the oldest ids are forgotten first, so memory stays flat under any load.
 */
export interface ReplayGuardOptions {
  /** Ids remembered at most. Default 10000. */
  maxEntries?: number;
  /** Seconds an id is remembered. Default 86400 (GitHub redelivers for up to 3 days on request only). */
  ttlSeconds?: number;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
}

export const REPLAY_GUARD_DEFAULTS = { maxEntries: 10000, ttlSeconds: 86400 } as const;

export class ReplayGuard {
  // A Map keeps insertion order: the first entries are the oldest, so eviction is O(1) per id.
  private readonly seen = new Map<string, number>();
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(o: ReplayGuardOptions = {}) {
    this.max = Math.max(1, o.maxEntries ?? REPLAY_GUARD_DEFAULTS.maxEntries);
    this.ttlMs = (o.ttlSeconds ?? REPLAY_GUARD_DEFAULTS.ttlSeconds) * 1000;
    this.now = o.now ?? Date.now;
  }

  /** True when this id was recorded and has not expired. */
  has(id: string): boolean {
    this.expire();
    return this.seen.has(id);
  }

  /** Records an id (call it after the delivery's changes were recorded, so a failed one can be retried). */
  remember(id: string): void {
    this.seen.delete(id);
    this.seen.set(id, this.now());
    while (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value as string);
  }

  forget(id: string): void { this.seen.delete(id); }

  get size(): number { return this.seen.size; }

  private expire(): void {
    const limit = this.now() - this.ttlMs;
    for (const [id, at] of this.seen) {
      if (at >= limit) break;
      this.seen.delete(id);
    }
  }
}
