/**
 * Failed-login limits of the web login, HTTP Basic on the API and the change hooks' Basic accounts
 * (`www.auth.loginBurst` tries, then `loginRefillPerSecond`), with the token buckets of
 * workers/login-rate-limiter.ts:
 *  - per address, a hard limit: an address out of tries is refused (429) before its credentials
 *    are checked, even right ones, so a guesser gets a burst and then a trickle;
 *  - per user name, a soft one: failures for a name count across addresses, but a name out of
 *    tries never keeps a password from being checked. The right password from an address with
 *    tries left always passes, so nobody can lock an account out by guessing at it from elsewhere;
 *    wrong passwords for such a name are answered 429 with Retry-After instead of 401, the signal
 *    for a client to slow down.
 */
import { LoginRateLimiter, takeLoginAttempt, type LoginAttempt } from '../../workers/login-rate-limiter.js';

export interface LoginLimitOptions { burst: number; refillPerSecond: number }

/** What a wrong password gets: 401, or 429 when its user name is over the limit. */
export interface LoginFailure { nameLimited: boolean; retryAfterMs: number }

export class LoginLimits {
  private readonly byAddress: LoginRateLimiter;
  private readonly byUser: LoginRateLimiter;

  constructor(o: LoginLimitOptions) {
    this.byAddress = new LoginRateLimiter(o);
    this.byUser = new LoginRateLimiter(o);
  }

  /** Milliseconds until `address` may try again (0: now). Only the address can refuse a try. */
  addressWaitMs(address: string): number { return this.byAddress.retryAfterMs(address); }

  /**
   * Charges `address` a try before a slow password check (scrypt, ~50 ms) starts, so a burst of
   * concurrent guesses cannot all get past the limit before the first failure counts;
   * `refundAttempt` gives it back when the password was right.
   */
  charge(address: string): LoginAttempt { return takeLoginAttempt([[this.byAddress, address]]); }

  /**
   * Records a wrong password: charges the address (unless `attempt` already did) and the user name.
   * The name is limited when it had no try left before this failure.
   */
  failed(address: string, username: string, attempt: LoginAttempt | null): LoginFailure {
    const nameLimited = this.byUser.retryAfterMs(username) > 0;
    this.byUser.recordFailure(username);
    if (!attempt?.ok) this.byAddress.recordFailure(address);
    return { nameLimited, retryAfterMs: this.byUser.retryAfterMs(username) };
  }
}

/** Whole seconds for a Retry-After header (an hour when tries never come back). */
export function retryAfterSeconds(ms: number): number {
  return Number.isFinite(ms) ? Math.max(1, Math.ceil(ms / 1000)) : 3600;
}
