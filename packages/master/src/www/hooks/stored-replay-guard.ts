/**
 * A dialect's replay memory in the database (db/tables/hook-deliveries.ts), so a delivery replayed
 * after a master restart, or to another master sharing the database, records nothing. Keys are
 * stored as their SHA-256. After each new key the dialect's rows older than the replay window are
 * deleted and at most `maxEntries` kept (oldest go first), so the table stays bounded whatever
 * arrives; a failure of that cleanup is reported and retried at the next delivery, never fails one.
 */
import { createHash } from 'node:crypto';
import type { HookDeliveriesTable } from '../../db/tables/hook-deliveries.js';
import { REPLAY_GUARD_DEFAULTS, type DeliveryClaim, type DeliveryMemory, type ReplayGuardOptions } from './replay-guard.js';

export interface StoredReplayGuardOptions extends ReplayGuardOptions {
  /** Told about cleanup failures (nobody else would hear of them). */
  onError?: (err: unknown, what: string) => void;
}

export class StoredReplayGuard implements DeliveryMemory {
  private readonly ttlMs: number;
  private readonly max: number;
  private readonly now: () => number;

  constructor(private readonly table: HookDeliveriesTable, readonly dialect: string, private readonly o: StoredReplayGuardOptions = {}) {
    this.ttlMs = (o.ttlSeconds ?? REPLAY_GUARD_DEFAULTS.ttlSeconds) * 1000;
    this.max = Math.max(1, o.maxEntries ?? REPLAY_GUARD_DEFAULTS.maxEntries);
    this.now = o.now ?? Date.now;
  }

  async claim(key: string): Promise<DeliveryClaim | null> {
    const now = this.now();
    const hash = createHash('sha256').update(key).digest('hex');
    if (!(await this.table.claim(this.dialect, hash, now, now - this.ttlMs))) return null;
    await this.prune(now);
    // Only this claim goes: a later one of the same key (after the window) stays.
    return { release: () => this.table.release(this.dialect, hash, now) };
  }

  private async prune(now: number): Promise<void> {
    try {
      await this.table.deleteOlderThan(this.dialect, now - this.ttlMs);
      await this.table.keepNewest(this.dialect, this.max);
    } catch (err) {
      this.o.onError?.(err, `deleting old ${this.dialect} webhook deliveries`);
    }
  }
}
