/**
 * hook_deliveries: the webhook deliveries already recorded, per change-hook dialect, so that a
 * replayed delivery records nothing, also after a restart (www/hooks/stored-replay-guard.ts).
 * Rows hold the SHA-256 of a replay key, never the key: a delivery id or body digest the sender
 * chose is kept at a fixed size. `claim` is one statement, so two copies of one delivery arriving
 * at once (or at two masters sharing the database) cannot both be recorded.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';

export class HookDeliveriesTable {
  constructor(private readonly k: Kysely<Schema>) {}

  /**
   * Records the key at `nowMs` unless it was recorded at or after `notBeforeMs` (an older row is an
   * expired one and is taken over). True when this call recorded it.
   */
  async claim(dialect: string, keyHash: string, nowMs: number, notBeforeMs: number): Promise<boolean> {
    const r = await this.k.insertInto('hook_deliveries').values({ dialect, key_hash: keyHash, received_at_ms: nowMs })
      .onConflict((oc) => oc.columns(['dialect', 'key_hash']).doUpdateSet({ received_at_ms: nowMs })
        .where('hook_deliveries.received_at_ms', '<', notBeforeMs))
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  /** Forgets a claim made at `receivedAtMs` (its delivery could not be recorded); a newer claim of the key stays. */
  async release(dialect: string, keyHash: string, receivedAtMs: number): Promise<void> {
    await this.k.deleteFrom('hook_deliveries')
      .where('dialect', '=', dialect).where('key_hash', '=', keyHash).where('received_at_ms', '=', receivedAtMs).execute();
  }

  /** Deletes the dialect's rows recorded before `cutoffMs` (by index); returns how many. */
  async deleteOlderThan(dialect: string, cutoffMs: number): Promise<number> {
    const r = await this.k.deleteFrom('hook_deliveries').where('dialect', '=', dialect).where('received_at_ms', '<', cutoffMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * Keeps the dialect's newest `max` rows and deletes the older ones; returns how many went. One
   * indexed probe finds the first row too many (as web_sessions.keepNewest does).
   */
  async keepNewest(dialect: string, max: number): Promise<number> {
    const cut = await this.k.selectFrom('hook_deliveries').select(['received_at_ms', 'key_hash']).where('dialect', '=', dialect)
      .orderBy('received_at_ms', 'desc').orderBy('key_hash', 'desc').limit(1).offset(max).executeTakeFirst();
    if (!cut) return 0;
    const t = Number(cut.received_at_ms);
    const r = await this.k.deleteFrom('hook_deliveries').where('dialect', '=', dialect).where((eb) => eb.or([
      eb('received_at_ms', '<', t),
      eb.and([eb('received_at_ms', '=', t), eb('key_hash', '<=', cut.key_hash)]),
    ])).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async count(dialect: string): Promise<number> {
    const r = await this.k.selectFrom('hook_deliveries').select((eb) => eb.fn.countAll().as('n')).where('dialect', '=', dialect).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
