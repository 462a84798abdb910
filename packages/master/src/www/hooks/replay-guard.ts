/**
 * Remembers the webhook deliveries already recorded, by the replay key the dialect names for each
 * (./dialect.ts: the digest of a signed body, GitLab's X-Gitlab-Event-UUID, a Gerrit event's body
 * hash, GitHub's X-GitHub-Delivery when unsigned), so a redelivered or replayed request records
 * nothing. A master keeps them in its database (./stored-replay-guard.ts) so a restart forgets
 * none; `ReplayGuard` here is the in-memory memory of a dialect used without a database (tests,
 * embedding). Both are bounded in count and age: the oldest keys are forgotten first.
 */
import { HOOK_REPLAY_DEFAULTS } from '../../options/www.js';

export interface ReplayGuardOptions {
  /** Keys remembered at most per dialect. Default 100000 (a few days of a busy organisation's deliveries). */
  maxEntries?: number;
  /**
   * Seconds a key is remembered: the replay window. Default 259200 (3 days): GitHub lets a delivery
   * be redelivered from its UI for 3 days, with the same body and signature, so every redelivery
   * GitHub can make falls in the window and is refused like any other replay.
   */
  ttlSeconds?: number;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
}

/** Declared with the `changeHooks.<dialect>.replay` options (options/www.ts). */
export const REPLAY_GUARD_DEFAULTS = HOOK_REPLAY_DEFAULTS;

/** Where a dialect's replay keys live. */
export interface DeliveryMemory {
  /**
   * Records `key` unless it is remembered already (then null: a replay). Called before the
   * delivery's changes are recorded, so two concurrent copies cannot both record.
   */
  claim(key: string): Promise<DeliveryClaim | null>;
}

/** A key just recorded by `claim`. */
export interface DeliveryClaim {
  /** Forgets the key again: the delivery could not be recorded, so the sender's retry is no replay. */
  release(): Promise<void>;
}

/** What is wrong with a dialect's `replay` options: [option ('' = the whole object), message] pairs. */
export function replayOptionIssues(o: unknown): Array<[string, string]> {
  if (o === undefined || o === null) return [];
  if (typeof o !== 'object' || Array.isArray(o)) return [['', 'must be an object { ttlSeconds?, maxEntries? }']];
  const r = o as Record<string, unknown>;
  const issues: Array<[string, string]> = [];
  for (const k of Object.keys(r)) if (k !== 'ttlSeconds' && k !== 'maxEntries' && k !== 'now') issues.push([k, 'is not an option (options: ttlSeconds, maxEntries)']);
  if (r.ttlSeconds !== undefined && !(typeof r.ttlSeconds === 'number' && r.ttlSeconds > 0)) issues.push(['ttlSeconds', `must be a number of seconds above 0, got ${JSON.stringify(r.ttlSeconds)}`]);
  if (r.maxEntries !== undefined && !(Number.isSafeInteger(r.maxEntries) && (r.maxEntries as number) >= 1)) issues.push(['maxEntries', `must be an integer of at least 1, got ${JSON.stringify(r.maxEntries)}`]);
  return issues;
}

/** The replay options of a dialect, checked: a mistake names `changeHooks.<dialect>.replay.<option>`. */
export function replayOptions(dialect: string, o: unknown): ReplayGuardOptions {
  const [first] = replayOptionIssues(o);
  if (first) throw new Error(`changeHooks.${dialect}.replay${first[0] ? `.${first[0]}` : ''} ${first[1]}`);
  return (o ?? {}) as ReplayGuardOptions;
}

export class ReplayGuard implements DeliveryMemory {
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

  async claim(key: string): Promise<DeliveryClaim | null> {
    if (this.has(key)) return null;
    this.remember(key);
    return { release: async () => this.forget(key) };
  }

  get size(): number { return this.seen.size; }

  private expire(): void {
    const limit = this.now() - this.ttlMs;
    for (const [id, at] of this.seen) {
      if (at >= limit) break;
      this.seen.delete(id);
    }
  }
}
