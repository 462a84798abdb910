/**
 * Local users of the web UI and API, kept in `<master dir>/users.json` (mode 0600):
 * `{ "users": { "<name>": { "password": "<scrypt hash>" | null, "roles": [...], "tokens": [{ "id", "digest", "created_at" }] } } }`.
 * Written atomically (temp file + rename). The master re-reads the file when it changes on disk,
 * so `mastro user add` takes effect without a restart.
 */
import { readFile, rename, writeFile, stat, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { createHmac, randomBytes } from 'node:crypto';
import { Lru } from '../../db/lru.js';
import { hashPassword, newToken, tokenDigest, verifyPassword, DUMMY_HASH } from './password.js';
import { apiTokenId } from './ids.js';
import { ErrorCodes } from '../../errors/catalog.js';

export const USERS_FILE = 'users.json';

export interface StoredToken { id: string; digest: string; created_at: number }
export interface StoredUser { password: string | null; roles: string[]; tokens: StoredToken[] }
interface FileShape { users: Record<string, StoredUser> }

const NAME = /^[A-Za-z0-9._@+-]{1,64}$/;

/**
 * Scripts send HTTP Basic credentials with every request, and each scrypt check costs ~50 ms and
 * 32 MiB: a password that just proved right is remembered for `verifiedTtlMs` (keyed by an HMAC
 * under a per-process random key, and by the stored hash, so a changed or removed password is
 * never matched), and concurrent checks of the same credentials share one scrypt run.
 */
export const PASSWORD_CHECK_DEFAULTS = { verifiedTtlMs: 60_000, verifiedEntries: 1000 } as const;

/** Called just before a password is really hashed (not for remembered or shared checks); may throw to refuse. */
export type BeforeHashing = () => void;

export class UserStoreError extends Error {
  readonly code = ErrorCodes.USERS_STORE;
  constructor(message: string) { super(message); this.name = 'UserStoreError'; }
}

export class UsersStore {
  private cache: { mtimeMs: number; size: number; data: FileShape; byDigest: Map<string, string> } | null = null;
  readonly file: string;
  private readonly checkKey = randomBytes(32);
  private readonly verified = new Lru<string, number>(PASSWORD_CHECK_DEFAULTS.verifiedEntries);
  private readonly inflight = new Map<string, Promise<boolean>>();
  /** Clock for the remembered checks (tests). */
  now: () => number = Date.now;

  constructor(masterDir: string) { this.file = join(masterDir, USERS_FILE); }

  /** The users, re-read when the file changed (one stat per call; the file is small). */
  async load(): Promise<FileShape> {
    let st;
    try { st = await stat(this.file); } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { users: {} };
      throw err;
    }
    if (this.cache && this.cache.mtimeMs === st.mtimeMs && this.cache.size === st.size) return this.cache.data;
    let data: FileShape;
    try {
      data = JSON.parse(await readFile(this.file, 'utf8')) as FileShape;
      if (!data || typeof data.users !== 'object') throw new Error('no "users" object');
    } catch (err) {
      throw new UserStoreError(`${this.file} is not a valid users file (${(err as Error).message}); fix it or remove it and add the users again with 'mastro user add'`);
    }
    const byDigest = new Map<string, string>();
    for (const [name, u] of Object.entries(data.users)) for (const t of u.tokens ?? []) byDigest.set(t.digest, name);
    this.cache = { mtimeMs: st.mtimeMs, size: st.size, data, byDigest };
    return data;
  }

  private async save(data: FileShape): Promise<void> {
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
    this.cache = null;
  }

  async add(username: string, password: string | null, roles: string[]): Promise<void> {
    if (!NAME.test(username)) throw new UserStoreError(`user name ${JSON.stringify(username)} is not allowed: use 1-64 letters, digits and . _ @ + -`);
    if (password !== null && password.length < 8) throw new UserStoreError('the password is too short: use at least 8 characters');
    const data = structuredClone(await this.load());
    const prev = data.users[username];
    data.users[username] = { password: password === null ? prev?.password ?? null : await hashPassword(password), roles, tokens: prev?.tokens ?? [] };
    await this.save(data);
  }

  async remove(username: string): Promise<boolean> {
    const data = structuredClone(await this.load());
    if (!(username in data.users)) return false;
    delete data.users[username];
    await this.save(data);
    return true;
  }

  async list(): Promise<Array<{ username: string; roles: string[]; hasPassword: boolean; tokens: number }>> {
    const data = await this.load();
    return Object.entries(data.users).map(([username, u]) => ({ username, roles: u.roles, hasPassword: !!u.password, tokens: u.tokens.length }));
  }

  /** Creates an API token for `username`; returns the token (shown once, stored only as a digest). */
  async createToken(username: string): Promise<{ id: string; token: string }> {
    const data = structuredClone(await this.load());
    const u = data.users[username];
    if (!u) throw new UserStoreError(`no user ${JSON.stringify(username)}; add it first with 'mastro user add'`);
    const token = newToken();
    const id = apiTokenId();
    u.tokens.push({ id, digest: tokenDigest(token), created_at: Math.floor(Date.now() / 1000) });
    await this.save(data);
    return { id, token };
  }

  async revokeToken(username: string, id: string): Promise<boolean> {
    const data = structuredClone(await this.load());
    const u = data.users[username];
    const before = u?.tokens.length ?? 0;
    if (!u) return false;
    u.tokens = u.tokens.filter((t) => t.id !== id);
    if (u.tokens.length === before) return false;
    await this.save(data);
    return true;
  }

  /**
   * The user when the password matches; unknown users cost the same time as wrong passwords.
   * `beforeHashing` runs only when a new scrypt check starts (a login rate limiter charges a try
   * there): credentials proved right moments ago, or being checked by a concurrent request, need none.
   */
  async checkPassword(username: string, password: string, beforeHashing?: BeforeHashing): Promise<{ username: string; roles: string[] } | null> {
    const u = (await this.load()).users[username];
    const stored = u?.password ?? DUMMY_HASH;
    // From here to the inflight entry nothing awaits: concurrent requests see each other's checks.
    const key = createHmac('sha256', this.checkKey).update(`${username}\0${stored}\0`).update(password).digest('base64');
    const at = this.verified.get(key);
    if (u?.password && at !== undefined && this.now() - at < PASSWORD_CHECK_DEFAULTS.verifiedTtlMs) return { username, roles: u.roles };
    let pending = this.inflight.get(key);
    if (!pending) {
      beforeHashing?.();
      pending = verifyPassword(password, stored).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const ok = await pending;
    if (!ok || !u?.password) return null;
    this.verified.set(key, this.now());
    return { username, roles: u.roles };
  }

  /** The owner of a bearer token (compared by digest; digests of random tokens do not leak the token). */
  async findToken(token: string): Promise<{ username: string; roles: string[] } | null> {
    const data = await this.load();
    const username = this.cache?.byDigest.get(tokenDigest(token));
    const u = username === undefined ? undefined : data.users[username];
    return u ? { username: username!, roles: u.roles } : null;
  }

  async has(username: string): Promise<boolean> {
    return Object.hasOwn((await this.load()).users, username);
  }

  async rolesOf(username: string): Promise<string[]> {
    return (await this.load()).users[username]?.roles ?? [];
  }
}
