/**
 * Establishes the Identity of a request, in this order: `Authorization: Bearer <token>` (API
 * tokens), `Authorization: Basic` (command-line clients; can be turned off), the session cookie
 * (browsers). No credentials = anonymous. Wrong credentials are an error, never a silent
 * downgrade to anonymous, and failed logins are limited per address and per user name
 * (./login-limits.ts: a name guessed at never refuses its right password).
 */
import { refundAttempt, type LoginAttempt } from '../../workers/login-rate-limiter.js';
import { LoginLimits, retryAfterSeconds, type LoginFailure } from './login-limits.js';
import { ANONYMOUS, type Identity, type SessionIdentity } from './identity.js';
import { parseCookies, SESSION_COOKIE } from './cookies.js';
import { SessionStore, type Session, type SessionStoreOptions } from './sessions.js';
import type { UsersStore } from './users-store.js';
import type { ResolvedAuthOptions } from './options.js';
import { ErrorCodes } from '../../errors/catalog.js';

export class AuthError extends Error {
  readonly code = ErrorCodes.AUTH_FAILED;
  constructor(readonly status: 401 | 429, message: string, readonly retryAfterSec?: number) { super(message); this.name = 'AuthError'; }
}

export interface RequestLike { headers: Record<string, string | string[] | undefined>; ip: string }

export interface Authenticated {
  identity: Identity;
  session?: Session;
  /** The bearer token that authenticated it (kept so `refresh` can see it revoked). */
  token?: string;
}

export interface AuthenticatorOptions {
  /** The sessions' table (db.webSessions) and durability barrier; none = sessions in memory only. */
  sessions?: Pick<SessionStoreOptions, 'table' | 'durable' | 'onError'>;
}

export class Authenticator {
  readonly sessions: SessionStore;
  private limits!: LoginLimits;
  private current!: ResolvedAuthOptions;

  constructor(readonly store: UsersStore | null, options: ResolvedAuthOptions, extra: AuthenticatorOptions = {}) {
    this.sessions = new SessionStore({ ...extra.sessions, ttlMs: options.sessionTtlMs, maxSessions: options.maxSessions, sweepIntervalMs: options.sessionSweepMs });
    this.configure(options);
  }

  /** The `www.auth` in force; replaced as a whole by `configure`. */
  get options(): ResolvedAuthOptions { return this.current; }

  /**
   * Applies new `www.auth` options (a reconfig). Sessions stay; the failed-login counters stay
   * unless their limits changed (then they start afresh under the new limits).
   */
  configure(options: ResolvedAuthOptions): void {
    const prev = this.current;
    if (!prev || prev.loginBurst !== options.loginBurst || prev.loginRefillPerSecond !== options.loginRefillPerSecond) {
      this.limits = new LoginLimits({ burst: options.loginBurst, refillPerSecond: options.loginRefillPerSecond });
    }
    this.sessions.configure({ ttlMs: options.sessionTtlMs, maxSessions: options.maxSessions, sweepIntervalMs: options.sessionSweepMs });
    this.current = options;
  }

  /** Roles of a user: from the users store plus `www.auth.users`. */
  async rolesFor(username: string, extra: readonly string[] = []): Promise<string[]> {
    const fromStore = this.store ? await this.store.rolesOf(username) : [];
    return [...new Set([...fromStore, ...(this.options.users.get(username) ?? []), ...extra])];
  }

  /**
   * The user of a session with the roles in force now; null when a local user no longer exists.
   * OAuth users keep their provider roles from login and get the `www.auth.users` ones of today.
   */
  private async sessionUser(id: SessionIdentity): Promise<Identity | null> {
    if (id.username === null) return null;
    if (id.via === 'oauth') {
      const fromConfig = id.provider ? this.options.users.get(`${id.provider}:${id.username}`) ?? [] : [];
      return { username: id.username, roles: [...new Set([...(id.providerRoles ?? id.roles), ...fromConfig])], via: 'oauth' };
    }
    if (!this.store || !(await this.store.has(id.username))) return null;
    return { username: id.username, roles: await this.rolesFor(id.username), via: id.via };
  }

  /**
   * Checks a user name and password (login form, Basic) under the limits of ./login-limits.ts. The
   * address is charged a try when a password check starts, before it runs (scrypt takes ~50 ms:
   * charging failures only when they end would let hundreds of concurrent guesses past the limit),
   * and given it back when the password was right. Credentials proved right moments ago, or under
   * check by a concurrent request, cost no try (users-store.ts), so a script's parallel Basic
   * requests are not throttled.
   */
  async login(username: string, password: string, address: string): Promise<Identity> {
    const limits = this.limits;
    const refuse = (wait: number) => {
      const sec = retryAfterSeconds(wait);
      return new AuthError(429, `too many failed logins from this address; try again in ${sec} s`, sec);
    };
    const wait = limits.addressWaitMs(address);
    if (wait > 0) throw refuse(wait);
    if (!this.store) throw wrongPassword(limits.failed(address, username, null));
    let attempt: LoginAttempt | null = null;
    let user;
    try {
      user = await this.store.checkPassword(username, password, () => {
        attempt = limits.charge(address);
        if (!attempt.ok) throw refuse(attempt.retryAfterMs);
      });
    } catch (err) {
      // A check that could not run (users.json unreadable) is no failed guess: the try goes back.
      if (!(err instanceof AuthError)) refundAttempt(attempt);
      throw err;
    }
    if (!user) throw wrongPassword(limits.failed(address, username, attempt));
    refundAttempt(attempt);
    return { username, roles: await this.rolesFor(username, user.roles), via: 'basic' };
  }

  async authenticate(req: RequestLike): Promise<Authenticated> {
    const auth = header(req, 'authorization');
    if (auth) {
      const [scheme, value = ''] = auth.split(/\s+/, 2) as [string, string?];
      if (/^bearer$/i.test(scheme)) {
        const user = this.store ? await this.store.findToken(value.trim()) : null;
        if (!user) throw new AuthError(401, 'the API token is not valid (revoked or mistyped); create one with `mastro user token DIR USER`');
        return { identity: { username: user.username, roles: await this.rolesFor(user.username, user.roles), via: 'token' }, token: value.trim() };
      }
      if (/^basic$/i.test(scheme) && this.options.basic) {
        const decoded = Buffer.from(value, 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i < 0) throw new AuthError(401, 'malformed Basic credentials: expected base64 of "user:password"');
        return { identity: await this.login(decoded.slice(0, i), decoded.slice(i + 1), req.ip) };
      }
      throw new AuthError(401, `unsupported Authorization scheme '${scheme}': use Bearer <token>${this.options.basic ? ' or Basic' : ''}`);
    }
    const session = await this.sessions.get(parseCookies(header(req, 'cookie'))[SESSION_COOKIE]);
    if (!session) return { identity: ANONYMOUS };
    const identity = await this.sessionUser(session.identity);
    if (identity) return { identity, session };
    await this.sessions.delete(session.id); // the user was removed: the session ends with it
    return { identity: ANONYMOUS };
  }
  /**
   * Who an earlier authentication stands for now. A long-lived connection (/ws) asks before each
   * action, so a logout, an expired session, a removed user or revoked token, and roles changed by
   * a reconfig or in users.json reach it; a credential that no longer holds is anonymous.
   */
  async refresh(auth: Authenticated): Promise<Identity> {
    if (auth.session) {
      const session = await this.sessions.get(auth.session.id);
      return (session && (await this.sessionUser(session.identity))) ?? ANONYMOUS;
    }
    if (auth.token !== undefined) {
      const user = this.store ? await this.store.findToken(auth.token) : null;
      return user ? { username: user.username, roles: await this.rolesFor(user.username, user.roles), via: 'token' } : ANONYMOUS;
    }
    const { username, via } = auth.identity;
    if (username === null) return ANONYMOUS;
    if (!this.store || !(await this.store.has(username))) return ANONYMOUS;
    return { username, roles: await this.rolesFor(username), via };
  }
}

/** 401, or 429 with Retry-After once the user name is over its limit (the password was checked: it is wrong). */
function wrongPassword(f: LoginFailure): AuthError {
  if (!f.nameLimited) return new AuthError(401, 'wrong user name or password');
  const sec = retryAfterSeconds(f.retryAfterMs);
  return new AuthError(429, `wrong user name or password, and there were too many failed logins for this user recently: wait ${sec} s before the next try (the right password is never refused for this)`, sec);
}

export function header(req: RequestLike, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
