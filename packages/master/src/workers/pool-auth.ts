/**
 * The master's side of worker pools (PROTOCOL.md §1.1): which pools exist, their accepted tokens and
 * their size, and who is in each right now.
 *
 * Tokens are compared as the credential store compares passwords (SHA-256 digests of equal length,
 * `timingSafeEqual`), against every slot of the pool without stopping at a match, and with the same
 * number of comparisons for a pool that does not exist: the time a login takes tells neither which
 * token matched, nor how many the pool has, nor whether the pool exists.
 *
 * A pool holds at most `maxWorkers` distinct worker names at once. A place is taken when the upgrade
 * is accepted (before the WebSocket exists, so a burst of logins cannot overshoot) and given back
 * when that TCP connection closes. A second connection under a name already in the pool takes no
 * new place: a restarted host gets its place back even when the pool is full, and the duplicate
 * arbitration decides which of the two stays.
 */
import { timingSafeEqual } from 'node:crypto';
import { digest } from './credentials.js';

/** A pool as the worker server needs it (rendered tokens: secrets already looked up). */
export interface ManagedPool {
  name: string;
  /** The accepted tokens: one, or two while a rotation is under way (at most MAX_TOKENS_PER_POOL). */
  tokens: readonly string[];
  /** Most distinct workers attached (or attaching) at once. */
  maxWorkers: number;
}

/** Two: the old and the new token of a rotation. Every check does this many comparisons. */
export const MAX_TOKENS_PER_POOL = 2;

/**
 * Shortest token a pool accepts: a pool token admits any host that has it, and is checked at the
 * failed-login rate of an address, so it must be too long to guess (16 characters of `openssl rand
 * -hex 32` leave 2^64 tries at least). Not an option: a shorter token is never safe.
 */
export const MIN_POOL_TOKEN_LENGTH = 16;

/** Seconds a worker refused because its pool is full is told to wait (Retry-After). */
export const POOL_FULL_RETRY_AFTER_S = 30;

/** Which accepted token a connection presented: the hex of its digest, so a reconfig can tell whether it is still accepted. */
export type TokenKey = string;

interface PoolEntry { digests: Buffer[]; keys: Set<TokenKey>; maxWorkers: number }

const DUMMY = digest('\u0000mastro-no-such-pool-token\u0000');

export class PoolRegistry {
  private pools = new Map<string, PoolEntry>();
  /** Per pool: worker name -> open connections under that name (places are distinct names). */
  private readonly members = new Map<string, Map<string, number>>();

  constructor(pools: readonly ManagedPool[] = []) { this.replace(pools); }

  /** Replaces the pools (reconfig). The caller disconnects what `accepts` no longer accepts. */
  replace(pools: readonly ManagedPool[]): void {
    const next = new Map<string, PoolEntry>();
    for (const p of pools) {
      if (p.tokens.length < 1 || p.tokens.length > MAX_TOKENS_PER_POOL) {
        throw new RangeError(`pool '${p.name}' has ${p.tokens.length} tokens; give one, or two while rotating`);
      }
      const digests = p.tokens.map(digest);
      next.set(p.name, { digests, keys: new Set(digests.map((d) => d.toString('hex'))), maxWorkers: p.maxWorkers });
    }
    this.pools = next;
  }

  has(pool: string): boolean { return this.pools.has(pool); }

  /**
   * The key of the accepted token `token` is, or null (wrong token, or no such pool). Always
   * MAX_TOKENS_PER_POOL constant-time comparisons, whatever the pool and the token.
   */
  check(pool: string, token: string): TokenKey | null {
    const entry = this.pools.get(pool);
    const given = digest(token);
    let match: TokenKey | null = null;
    for (let i = 0; i < MAX_TOKENS_PER_POOL; i++) {
      const expected = entry?.digests[i];
      // No early exit: every slot is compared, a missing one against a dummy digest.
      const same = timingSafeEqual(expected ?? DUMMY, given);
      if (same && expected !== undefined) match = expected.toString('hex');
    }
    return match;
  }

  /** Whether a connection that logged in with `key` may stay in `pool` (false once the pool or the token is gone). */
  accepts(pool: string, key: TokenKey): boolean {
    return this.pools.get(pool)?.keys.has(key) ?? false;
  }

  maxWorkers(pool: string): number { return this.pools.get(pool)?.maxWorkers ?? 0; }

  /** Distinct worker names holding a place in `pool`. */
  memberCount(pool: string): number { return this.members.get(pool)?.size ?? 0; }

  /**
   * Takes a place in `pool` for `name`, or returns null when the pool is full (a name already in
   * it always gets in). The returned function gives the place back; call it once.
   */
  join(pool: string, name: string): (() => void) | null {
    let names = this.members.get(pool);
    if (!names) this.members.set(pool, (names = new Map()));
    const held = names.get(name) ?? 0;
    if (held === 0 && names.size >= this.maxWorkers(pool)) {
      if (names.size === 0) this.members.delete(pool);
      return null;
    }
    names.set(name, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (names.get(name) ?? 1) - 1;
      if (n > 0) names.set(name, n); else names.delete(name);
      if (names.size === 0 && this.members.get(pool) === names) this.members.delete(pool);
    };
  }
}
