/**
 * web_sessions: browser sessions of the web UI (www/auth/sessions.ts keeps a cache in front).
 * Rows are found by the SHA-256 of the cookie token, never by the token itself. The identity is
 * opaque JSON here: the db layer does not know what www puts in it.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../schema.js';

export interface WebSessionRow {
  /** SHA-256 (hex) of the session cookie's token. */
  idHash: string;
  identity: unknown;
  csrfToken: string;
  createdAtMs: number;
  expiresAtMs: number;
}

const toRow = (r: Schema['web_sessions']): WebSessionRow => ({
  idHash: r.id_hash, identity: JSON.parse(r.identity_json), csrfToken: r.csrf_token,
  createdAtMs: Number(r.created_at_ms), expiresAtMs: Number(r.expires_at_ms),
});

export class WebSessionsTable {
  constructor(private readonly k: Kysely<Schema>) {}

  async insert(row: WebSessionRow): Promise<void> {
    await this.k.insertInto('web_sessions').values({
      id_hash: row.idHash, identity_json: JSON.stringify(row.identity), csrf_token: row.csrfToken,
      created_at_ms: row.createdAtMs, expires_at_ms: row.expiresAtMs,
    }).execute();
  }

  async get(idHash: string): Promise<WebSessionRow | undefined> {
    const r = await this.k.selectFrom('web_sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
    return r && toRow(r);
  }

  async delete(idHash: string): Promise<void> {
    await this.k.deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
  }

  /** Deletes the sessions expired at `nowMs` (by index); returns how many. */
  async deleteExpired(nowMs: number): Promise<number> {
    const r = await this.k.deleteFrom('web_sessions').where('expires_at_ms', '<=', nowMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * Keeps the newest `max` sessions and deletes the older ones; returns how many went. One indexed
   * probe finds the first session too many (the same on SQLite and PostgreSQL).
   */
  async keepNewest(max: number): Promise<number> {
    const cut = await this.k.selectFrom('web_sessions').select(['created_at_ms', 'id_hash'])
      .orderBy('created_at_ms', 'desc').orderBy('id_hash', 'desc').limit(1).offset(max).executeTakeFirst();
    if (!cut) return 0;
    const t = Number(cut.created_at_ms);
    // (created_at_ms, id_hash) orders the rows totally, so sessions created in the same millisecond are cut exactly.
    const r = await this.k.deleteFrom('web_sessions').where((eb) => eb.or([
      eb('created_at_ms', '<', t),
      eb.and([eb('created_at_ms', '=', t), eb('id_hash', '<=', cut.id_hash)]),
    ])).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async count(): Promise<number> {
    const r = await this.k.selectFrom('web_sessions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}
