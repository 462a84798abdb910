/**
 * Browser sessions: a random token in the HttpOnly cookie, each session with its own CSRF token.
 * Stored in the database (`web_sessions`, keyed by the token's SHA-256) so a master restart logs
 * nobody out; a small LRU cache in front means a request does not always cost a query. A cached
 * entry is trusted for `cacheFreshMs`, then checked against the table again, so a logout on
 * another master sharing the database takes effect within that time.
 *
 * Expired sessions are refused and deleted when read, and a periodic sweep (`sweepIntervalMs`)
 * deletes the expired ones nobody reads again and keeps at most `maxSessions` (oldest go first).
 * Without a table (tests, embedding) the cache is the store and holds `maxSessions`.
 */
import type { WebSessionsTable } from '../../db/tables/web-sessions.js';
import { Lru } from '../../db/lru.js';
import type { SessionIdentity } from './identity.js';
import { tokenDigest } from './password.js';
import { csrfToken, sessionToken } from './ids.js';

export interface Session { id: string; identity: SessionIdentity; csrfToken: string; expiresAt: number }

export const SESSION_DEFAULTS = {
  /** Sessions kept in memory in front of the table. */
  cacheSize: 1000,
  /** How long a cached session is used without checking that it still exists in the table. */
  cacheFreshMs: 10_000,
} as const;

export interface SessionStoreOptions {
  ttlMs: number;
  maxSessions: number;
  /** How often expired sessions are deleted and the count trimmed to `maxSessions` (www.auth.sessionSweepSec, default 600 s). */
  sweepIntervalMs: number;
  /** The table; null = memory only (a restart logs everyone out). */
  table?: WebSessionsTable | null;
  /** Resolves once written rows are stored for good (Db.durable); awaited before a login answers. */
  durable?: () => Promise<void>;
  cacheSize?: number;
  cacheFreshMs?: number;
  now?: () => number;
  /** Told about sweep failures (the sweep runs on a timer: nobody else would hear of them). */
  onError?: (err: unknown, what: string) => void;
}

interface Cached { session: Session; checkedAt: number }

export class SessionStore {
  private readonly cache: Lru<string, Cached>;
  private readonly table: WebSessionsTable | null;
  private readonly now: () => number;
  private readonly cacheFreshMs: number;
  private ttlMs: number;
  private maxSessions: number;
  private sweepIntervalMs = 0;
  private closed = false;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<unknown> | null = null;

  constructor(private readonly opts: SessionStoreOptions) {
    this.table = opts.table ?? null;
    this.now = opts.now ?? Date.now;
    this.cacheFreshMs = opts.cacheFreshMs ?? SESSION_DEFAULTS.cacheFreshMs;
    this.ttlMs = opts.ttlMs;
    this.maxSessions = opts.maxSessions;
    this.cache = new Lru(this.table ? Math.min(opts.cacheSize ?? SESSION_DEFAULTS.cacheSize, opts.maxSessions) : opts.maxSessions);
    this.configure(opts);
  }

  /** New lifetime, bound and sweep interval (a reconfig): existing sessions keep the expiry they were given. */
  configure(o: { ttlMs: number; maxSessions: number; sweepIntervalMs: number }): void {
    this.ttlMs = o.ttlMs;
    this.maxSessions = o.maxSessions;
    if (!this.table || this.closed || o.sweepIntervalMs === this.sweepIntervalMs) return;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepIntervalMs = o.sweepIntervalMs;
    this.sweepTimer = setInterval(() => { void this.sweep(); }, o.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  async create(identity: SessionIdentity): Promise<Session> {
    const createdAt = this.now();
    const s: Session = { id: sessionToken(), identity, csrfToken: csrfToken(), expiresAt: createdAt + this.ttlMs };
    const key = tokenDigest(s.id);
    if (this.table) {
      await this.table.insert({ idHash: key, identity, csrfToken: s.csrfToken, createdAtMs: createdAt, expiresAtMs: s.expiresAt });
      await this.table.keepNewest(this.maxSessions);
      // The cookie goes out with the answer: the row must outlive a crash right after it.
      await this.opts.durable?.();
    }
    this.cache.set(key, { session: s, checkedAt: createdAt });
    return s;
  }

  /** The live session of a cookie token; undefined for unknown, deleted or expired ones. */
  async get(token: string | undefined): Promise<Session | undefined> {
    if (!token) return undefined;
    const key = tokenDigest(token);
    const now = this.now();
    const hit = this.cache.get(key);
    if (hit && (!this.table || now - hit.checkedAt < this.cacheFreshMs)) {
      if (hit.session.expiresAt > now) return hit.session;
      await this.forget(key);
      return undefined;
    }
    if (!this.table) return undefined;
    const row = await this.table.get(key);
    if (!row) { this.cache.delete(key); return undefined; }
    if (row.expiresAtMs <= now) { await this.forget(key); return undefined; }
    const session: Session = { id: token, identity: row.identity as SessionIdentity, csrfToken: row.csrfToken, expiresAt: row.expiresAtMs };
    this.cache.set(key, { session, checkedAt: now });
    return session;
  }

  /** Logout: the session is gone from the cache and the table. */
  async delete(token: string): Promise<void> {
    await this.forget(tokenDigest(token));
    await this.opts.durable?.();
  }

  private async forget(key: string): Promise<void> {
    this.cache.delete(key);
    await this.table?.delete(key);
  }

  /** Deletes expired sessions and trims to `maxSessions`; returns how many went. */
  sweep(): Promise<number> {
    if (!this.table) return Promise.resolve(0);
    const table = this.table;
    const run = (async () => {
      try {
        return (await table.deleteExpired(this.now())) + (await table.keepNewest(this.maxSessions));
      } catch (err) {
        this.opts.onError?.(err, 'deleting expired web sessions');
        return 0;
      }
    })();
    this.sweeping = run;
    return run;
  }

  /** Stops the sweep timer and waits for a sweep in progress (before the database closes). */
  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    this.closed = true; // a configure after close starts no timer
    await this.sweeping;
  }
}
