/**
 * Worker credentials: checking the HTTP Basic credentials of a WebSocket upgrade against the
 * configured workers in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { parseBasicAuthHeader } from 'mastro-protocol';

/** Parses `Authorization: Basic base64(name:password)`; null when absent or malformed. */
export const parseBasicAuth = parseBasicAuthHeader;

export interface WorkerCredentials { name: string; password: string }

/**
 * Digests make both sides the same length, so `timingSafeEqual` can compare them and the time
 * taken reveals neither the content nor the length of the configured password. Pool tokens are
 * compared the same way (pool-auth.ts).
 */
export function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class CredentialStore {
  private byName = new Map<string, Buffer>();

  constructor(workers: readonly WorkerCredentials[] = []) { this.replace(workers); }

  /** Replaces the whole list (reconfig). Returns the names that are no longer configured. */
  replace(workers: readonly WorkerCredentials[]): string[] {
    const next = new Map<string, Buffer>();
    for (const w of workers) next.set(w.name, digest(w.password));
    const removed = [...this.byName.keys()].filter((name) => !next.has(name));
    this.byName = next;
    return removed;
  }

  has(name: string): boolean { return this.byName.has(name); }

  get names(): string[] { return [...this.byName.keys()]; }

  /** True when `name` is configured and `password` matches; always does one constant-time compare. */
  check(name: string, password: string): boolean {
    const expected = this.byName.get(name);
    // Compare against a dummy digest for unknown names so they take as long as wrong passwords.
    const same = timingSafeEqual(expected ?? UNKNOWN, digest(password));
    return expected !== undefined && same;
  }
}

const UNKNOWN = digest('\u0000mastro-unknown-worker\u0000');
