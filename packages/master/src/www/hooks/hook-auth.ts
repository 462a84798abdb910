/**
 * HTTP Basic authentication of the change hooks (`www.changeHookAuth`, Buildbot's
 * `change_hook_auth`). A request passes when its Basic credentials match one of the configured
 * sources, tried in order:
 *  - `{ username, password }`: one literal account;
 *  - `'file:changehook.passwd'` or `{ file }`: Buildbot's password file, one `user:password` per
 *    line (`#` comments), relative to the master directory, re-read when it changes;
 *  - `{ usersStore: true }` or `{ usersStore: { roles } }`: the users of `mastro user add`
 *    (optionally only those holding one of `roles`).
 *
 * Failures are limited per address and per user name with the login limits the web UI uses
 * (../auth/login-limits.ts), so a guesser's address gets a short burst and then a trickle, while an
 * account guessed at from elsewhere keeps working with its right password. Passwords are compared
 * in constant time.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { refundAttempt, type LoginAttempt } from '../../workers/login-rate-limiter.js';
import { LoginLimits, retryAfterSeconds } from '../auth/login-limits.js';
import { safeEqual } from '../../util/safe-equal.js';
import { AUTH_DEFAULTS } from '../auth/options.js';
import type { ChangeHookAuthEntry } from '../options.js';

/** What checks the passwords of `{ usersStore }` entries (the master's users.json). */
export interface PasswordChecker {
  /** `beforeHashing` runs when a new (slow) check starts and may throw to refuse it (see users-store.ts). */
  checkPassword(username: string, password: string, beforeHashing?: () => void): Promise<{ username: string; roles: string[] } | null>;
}

export interface HookAuthOptions {
  /** The master directory: relative password-file paths are resolved against it. */
  masterDir?: string | null;
  /** The users store, for `{ usersStore }` entries. */
  usersStore?: PasswordChecker | null;
  /** Failed attempts allowed in a burst per address (and per user name before wrong passwords get 429). Default 5 (like www.auth.loginBurst). */
  burst?: number;
  /** Failed attempts given back per second after the burst. Default 0.1. */
  refillPerSecond?: number;
}

export type HookAuthResult =
  | { ok: true; username: string }
  | { ok: false; status: 401 | 429; message: string; retryAfterSec?: number };

/** The challenge a 401 carries, so curl and browsers know to send Basic credentials. */
export const HOOK_AUTH_CHALLENGE = 'Basic realm="mastro change hooks", charset="UTF-8"';

const HOW_TO = 'send the HTTP Basic credentials of an account in www.changeHookAuth (mastro sendchange --auth USER:PASSWORD; contrib/post-receive: git config hooks.mastro.auth USER:PASSWORD; webhooks: https://USER:PASSWORD@host/change_hook/...)';

/** Buildbot's `file:` checker: `user:password` lines; the file's mtime/size decide when to re-read. */
class PasswordFile {
  private cache: { mtimeMs: number; size: number; users: Map<string, string> } | null = null;
  constructor(readonly path: string) {}

  lookup(username: string): string | undefined {
    let st;
    try { st = statSync(this.path); } catch (err) {
      throw new Error(`the change hook password file ${this.path} cannot be read (${(err as NodeJS.ErrnoException).code}); create it with lines "user:password"`);
    }
    if (!this.cache || this.cache.mtimeMs !== st.mtimeMs || this.cache.size !== st.size) {
      const users = new Map<string, string>();
      for (const line of readFileSync(this.path, 'utf8').split(/\r?\n/)) {
        if (!line.trim() || line.trimStart().startsWith('#')) continue;
        const i = line.indexOf(':');
        if (i > 0) users.set(line.slice(0, i), line.slice(i + 1));
      }
      this.cache = { mtimeMs: st.mtimeMs, size: st.size, users };
    }
    return this.cache.users.get(username);
  }
}

type Source =
  | { kind: 'literal'; username: string; password: string }
  | { kind: 'file'; file: PasswordFile }
  | { kind: 'store'; roles: readonly string[] | null };

/** Reads `Authorization: Basic ...`; null when absent or not Basic. */
export function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  if (!header) return null;
  const m = /^basic\s+(\S+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? null : { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export class ChangeHookAuth {
  private readonly sources: Source[];
  private readonly limits: LoginLimits;

  constructor(entries: readonly ChangeHookAuthEntry[], private readonly opts: HookAuthOptions = {}) {
    this.sources = entries.map((e, i) => this.source(e, i));
    this.limits = new LoginLimits({ burst: opts.burst ?? AUTH_DEFAULTS.loginBurst, refillPerSecond: opts.refillPerSecond ?? AUTH_DEFAULTS.loginRefillPerSecond });
  }

  private source(e: ChangeHookAuthEntry, i: number): Source {
    const file = typeof e === 'string' ? (e.startsWith('file:') ? e.slice(5) : null) : 'file' in e ? e.file : null;
    if (file !== null) {
      const path = isAbsolute(file) || !this.opts.masterDir ? file : join(this.opts.masterDir, file);
      return { kind: 'file', file: new PasswordFile(path) };
    }
    if (typeof e === 'object' && 'usersStore' in e) {
      if (!this.opts.usersStore) throw new Error(`www.changeHookAuth[${i}]: { usersStore } needs the master's users store (a master directory)`);
      return { kind: 'store', roles: typeof e.usersStore === 'object' && e.usersStore.roles ? e.usersStore.roles : null };
    }
    if (typeof e === 'object' && 'username' in e) return { kind: 'literal', username: e.username, password: e.password };
    throw new Error(`www.changeHookAuth[${i}] is not { username, password }, 'file:PATH', { file } or { usersStore }`);
  }

  /**
   * Checks the request's credentials under the login limits. A `{ usersStore }` check (scrypt,
   * ~50 ms) charges the address a try before it runs, so concurrent guesses cannot all pass before
   * the first failure counts; the try goes back when some source accepts the credentials.
   */
  async check(req: { headers: Record<string, string | string[] | undefined>; ip: string }): Promise<HookAuthResult> {
    const raw = req.headers.authorization;
    const creds = basicCredentials(Array.isArray(raw) ? raw[0] : raw);
    if (!creds) return { ok: false, status: 401, message: `change hooks on this master require authentication: ${HOW_TO}` };
    const wait = this.limits.addressWaitMs(req.ip);
    if (wait > 0) return rateLimited(wait);
    let attempt: LoginAttempt | null = null;
    let ok: boolean;
    try {
      ok = await this.matches(creds.username, creds.password, () => {
        attempt ??= this.limits.charge(req.ip);
        if (!attempt.ok) throw new RateLimited(attempt.retryAfterMs);
      });
    } catch (err) {
      if (err instanceof RateLimited) return rateLimited(err.waitMs);
      // A check that could not run (an unreadable password file) is no failed guess: the try goes back.
      refundAttempt(attempt);
      throw err;
    }
    if (ok) {
      refundAttempt(attempt);
      return { ok: true, username: creds.username };
    }
    const failure = this.limits.failed(req.ip, creds.username, attempt);
    if (failure.nameLimited) {
      const sec = retryAfterSeconds(failure.retryAfterMs);
      return { ok: false, status: 429, retryAfterSec: sec, message: `wrong change hook user name or password, and there were too many failed logins for this user recently: wait ${sec} s before the next try (the right password is never refused for this); ${HOW_TO}` };
    }
    return { ok: false, status: 401, message: `wrong change hook user name or password; ${HOW_TO}` };
  }

  private async matches(username: string, password: string, beforeHashing: () => void): Promise<boolean> {
    for (const s of this.sources) {
      if (s.kind === 'literal') {
        // Both compared in full every time: the answer's timing tells nothing about which part was wrong.
        const userOk = safeEqual(username, s.username);
        const passOk = safeEqual(password, s.password);
        if (userOk && passOk) return true;
      } else if (s.kind === 'file') {
        const stored = s.file.lookup(username);
        if (safeEqual(password, stored ?? '\u0000no such user') && stored !== undefined) return true;
      } else {
        const user = await this.opts.usersStore!.checkPassword(username, password, beforeHashing);
        if (user && (s.roles === null || user.roles.some((r) => s.roles!.includes(r)))) return true;
      }
    }
    return false;
  }
}

class RateLimited extends Error {
  constructor(readonly waitMs: number) { super('rate limited'); }
}

function rateLimited(waitMs: number): HookAuthResult {
  const sec = retryAfterSeconds(waitMs);
  return { ok: false, status: 429, message: `too many failed change hook logins from this address; try again in ${sec} s`, retryAfterSec: sec };
}

/** Loopback addresses: a master listening only there is reachable from this machine alone. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/**
 * The warning for change hooks anyone on the network can call: some dialect is enabled, no
 * `changeHookAuth` is configured, and the server listens beyond loopback (the default host is all
 * interfaces). `changeHookAuth: false` says "open on purpose" (e.g. a proxy authenticates) and
 * silences it. Used by config checking (mastro checkconfig) and by the server when it starts.
 */
export function changeHookAuthWarning(www: { host?: string; changeHooks?: Record<string, unknown>; changeHookAuth?: unknown } | null | undefined, defaultHost = '0.0.0.0'): string | null {
  if (!www) return null;
  const enabled = Object.entries(www.changeHooks ?? {}).filter(([, o]) => o !== undefined && o !== false).map(([k]) => k);
  if (!enabled.length || (www.changeHookAuth !== undefined && www.changeHookAuth !== null)) return null;
  const host = www.host ?? defaultHost;
  if (isLoopbackHost(host)) return null;
  return `change hooks (${enabled.join(', ')}) are unauthenticated and www listens on ${host}: anyone who reaches the port can add changes and start builds. `
    + "Set www.changeHookAuth (e.g. [{ username: 'hook', password: '...' }] or 'file:changehook.passwd'), listen on 127.0.0.1, or set changeHookAuth: false to keep them open on purpose";
}
