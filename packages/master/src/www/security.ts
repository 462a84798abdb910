/**
 * The HTTP layer's security context: who is asking (authentication, cached per request) and
 * what they may do (authorization). Built once per server from `www.auth` / `www.authz`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WwwAuthOptions, WwwAuthzOptions } from '../config/types.js';
import { AuthError, Authenticator, type Authenticated } from './auth/authenticator.js';
import { resolveAuthOptions } from './auth/options.js';
import { UsersStore } from './auth/users-store.js';
import { OAuthProvider, type ProviderName } from './auth/oauth.js';
import { Authz, AuthzDenied, type AuthzAction } from './authz/rules.js';

export interface SecurityOptions {
  /** Master directory holding users.json; null = no local users (only config roles, OAuth). */
  masterDir?: string | null;
  auth?: WwwAuthOptions;
  authz?: WwwAuthzOptions;
  buildbotURL?: string | null;
}

export class Security {
  readonly authn: Authenticator;
  readonly authz: Authz;
  readonly oauth = new Map<ProviderName, OAuthProvider>();

  constructor(opts: SecurityOptions) {
    const resolved = resolveAuthOptions(opts.auth, opts.buildbotURL);
    this.authn = new Authenticator(opts.masterDir ? new UsersStore(opts.masterDir) : null, resolved);
    this.authz = new Authz(opts.authz);
    for (const [name, o] of Object.entries(resolved.oauth) as Array<[ProviderName, NonNullable<typeof resolved.oauth.github>]>) {
      this.oauth.set(name, new OAuthProvider(name, o, resolved.oauthTimeoutMs));
    }
  }

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
