/**
 * The HTTP layer's security context: who is asking (authentication, cached per request) and
 * what they may do (authorization). Built from `www.auth` / `www.authz` when the server starts and
 * rebuilt by `reconfigure` (a master reconfig): every request reads the rules in force when it
 * arrives. Sessions, the users store and the failed-login counters outlive a reconfig.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WwwAuthOptions, WwwAuthzOptions } from './options.js';
import { AuthError, Authenticator, type Authenticated, type AuthenticatorOptions } from './auth/authenticator.js';
import { resolveAuthOptions, type ResolvedAuthOptions } from './auth/options.js';
import { UsersStore } from './auth/users-store.js';
import { OAuthProvider, type ProviderName } from './auth/oauth.js';
import { Authz, AuthzDenied, type AuthzAction } from './authz/rules.js';

export interface SecurityOptions {
  /** Master directory holding users.json; null = no local users (only config roles, OAuth). */
  masterDir?: string | null;
  auth?: WwwAuthOptions;
  authz?: WwwAuthzOptions;
  buildbotURL?: string | null;
  /** Where sessions are kept (see auth/sessions.ts); default memory only. */
  sessions?: AuthenticatorOptions['sessions'];
}

/** The parts of the options a reconfig may change. */
export type SecurityConfig = Pick<SecurityOptions, 'auth' | 'authz' | 'buildbotURL'>;

/** OAuth providers are kept across a reconfig that leaves their options alone (they hold pending logins). */
type Providers = Map<ProviderName, OAuthProvider & { readonly configKey?: string }>;

export class Security {
  readonly authn: Authenticator;
  private rules: Authz;
  private providers: Providers;

  constructor(opts: SecurityOptions) {
    const resolved = resolveAuthOptions(opts.auth, opts.buildbotURL);
    this.rules = new Authz(opts.authz);
    this.providers = oauthProviders(resolved, new Map());
    this.authn = new Authenticator(opts.masterDir ? new UsersStore(opts.masterDir) : null, resolved, { sessions: opts.sessions });
  }

  /** The authorization rules in force. */
  get authz(): Authz { return this.rules; }

  /** The OAuth providers in force, by name. */
  get oauth(): ReadonlyMap<ProviderName, OAuthProvider> { return this.providers; }

  /**
   * Builds the rules of changed `www.auth` / `www.authz` (a reconfig) without applying them: a
   * mistake throws and leaves the running rules in place. `commit()` then swaps all of it at once.
   */
  prepare(config: SecurityConfig): { auth: ResolvedAuthOptions; commit(): void } {
    const auth = resolveAuthOptions(config.auth, config.buildbotURL);
    const rules = new Authz(config.authz);
    const providers = oauthProviders(auth, this.providers);
    return {
      auth,
      commit: () => {
        this.authn.configure(auth);
        this.rules = rules;
        this.providers = providers;
      },
    };
  }

  /** Stops the session sweep (before the database closes). */
  close(): Promise<void> { return this.authn.sessions.close(); }

  authMethods(): string[] { return ['local', ...this.oauth.keys()]; }

  /** The request's identity; cached on the request so hooks and handlers authenticate once. */
  async identify(req: FastifyRequest): Promise<Authenticated> {
    const cached = (req as any).mastroAuth as Authenticated | undefined;
    if (cached) return cached;
    const a = await this.authn.authenticate({ headers: req.headers, ip: req.ip });
    (req as any).mastroAuth = a;
    return a;
  }

  /**
   * Authenticates and authorizes; on refusal sends the JSON error and returns null.
   * 401 carries a WWW-Authenticate challenge only for non-browser clients.
   */
  async require(req: FastifyRequest, reply: FastifyReply, action: AuthzAction): Promise<Authenticated | null> {
    try {
      const a = await this.identify(req);
      this.authz.assert(a.identity, action);
      return a;
    } catch (err) {
      sendAuthError(reply, err);
      return null;
    }
  }
}

function oauthProviders(resolved: ResolvedAuthOptions, old: Providers): Providers {
  const out: Providers = new Map();
  for (const [name, o] of Object.entries(resolved.oauth) as Array<[ProviderName, NonNullable<typeof resolved.oauth.github>]>) {
    const configKey = JSON.stringify([o, resolved.oauthTimeoutMs]);
    const kept = old.get(name);
    out.set(name, kept?.configKey === configKey ? kept : Object.assign(new OAuthProvider(name, o, resolved.oauthTimeoutMs), { configKey }));
  }
  return out;
}

export function sendAuthError(reply: FastifyReply, err: unknown): void {
  if (err instanceof AuthError) {
    if (err.retryAfterSec) reply.header('retry-after', String(err.retryAfterSec));
    reply.code(err.status).type('application/json; charset=utf-8').send(JSON.stringify({ error: err.message }));
    return;
  }
  if (err instanceof AuthzDenied) {
    reply.code(err.status).type('application/json; charset=utf-8').send(JSON.stringify({ error: err.message }));
    return;
  }
  throw err;
}
