/** Who is logged in (`/auth/user`), login and logout; pages ask `session.user` to show actions. */
import { ApiError, getJson, postJson, setCsrfToken } from './api.js';

export interface User { username: string; roles: string[] }
interface AuthState { user: User | null; csrfToken?: string; authMethods?: string[] }

type Listener = (user: User | null) => void;

export class Session {
  user: User | null = null;
  authMethods: string[] = ['local'];
  /** False when the master has no /auth endpoints (then everything is anonymous). */
  available = true;
  private readonly listeners = new Set<Listener>();

  onChange(fn: Listener): () => void { this.listeners.add(fn); return () => this.listeners.delete(fn); }

  private apply(s: AuthState): void {
    this.user = s.user ?? null;
    if (s.authMethods) this.authMethods = s.authMethods;
    setCsrfToken(s.csrfToken);
    for (const l of this.listeners) l(this.user);
  }

  async refresh(): Promise<void> {
    try { this.apply(await getJson<AuthState>('/auth/user')); this.available = true; } catch (err) {
      if (err instanceof ApiError && err.status === 404) { this.available = false; this.apply({ user: null }); return; }
      throw err;
    }
  }

  /** Throws ApiError with the server's reason (bad credentials, too many attempts). */
  async login(username: string, password: string): Promise<User> {
    const r = await postJson<AuthState>('/auth/login', { username, password });
    this.apply(r);
    if (!r.csrfToken) await this.refresh();
    return this.user!;
  }

  async logout(): Promise<void> {
    await postJson('/auth/logout', {});
    await this.refresh();
  }
}
