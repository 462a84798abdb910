/**
 * Browser sessions: random ids kept in memory (a restart logs everyone out), each with its own CSRF
 * token. Bounded by `maxSessions` (oldest dropped) and expired after `ttlMs` of existence.
 */
import { randomBytes } from 'node:crypto';
import type { Identity } from './identity.js';

export interface Session { id: string; identity: Identity; csrfToken: string; expiresAt: number }

export class SessionStore {
  // Insertion order = age, so eviction of the oldest is O(1).
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly ttlMs: number, private readonly maxSessions: number, private readonly now: () => number = Date.now) {}

  create(identity: Identity): Session {
    const s: Session = { id: randomBytes(32).toString('base64url'), identity, csrfToken: randomBytes(24).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(s.id, s);
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    return s;
  }

  get(id: string | undefined): Session | undefined {
    if (!id) return undefined;
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (s.expiresAt <= this.now()) { this.sessions.delete(id); return undefined; }
    return s;
  }

  delete(id: string): void { this.sessions.delete(id); }

  get size(): number { return this.sessions.size; }
}
