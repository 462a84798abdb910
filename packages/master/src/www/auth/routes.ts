/**
 * Login endpoints the web UI uses:
 *  - `POST /auth/login` `{username, password}` -> 200 `{user: {username, roles}, csrfToken}` and the
 *    HttpOnly session cookie; 401 on bad credentials, 429 when rate-limited.
 *  - `POST /auth/logout` -> 200 `{user: null}` (needs X-CSRF-Token when logged in by cookie).
 *  - `GET /auth/user` -> `{user | null, csrfToken, authMethods}`.
 *  - `GET /auth/oauth/<github|gitlab>` -> redirect to the provider; `.../callback` -> session, redirect to `/`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Security } from '../security.js';
import { sendAuthError } from '../security.js';
import { unsafeRequestRefusal } from './browser-guard.js';
import { CSRF_COOKIE, OAUTH_STATE_COOKIE, SESSION_COOKIE, parseCookies, serializeCookie } from './cookies.js';
import type { Identity, SessionIdentity } from './identity.js';
import { OAuthError, OAUTH_STATE_TTL_MS, type ProviderName } from './oauth.js';
import { csrfToken as newCsrfToken } from './ids.js';

const json = (reply: FastifyReply, status: number, body: unknown) =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify(body));

function userView(id: Identity) { return id.username === null ? null : { username: id.username, roles: [...id.roles] }; }

export function registerAuthRoutes(app: FastifyInstance, sec: Security): void {
  const secure = (req: FastifyRequest) => req.protocol === 'https';
  const startSession = async (req: FastifyRequest, reply: FastifyReply, identity: SessionIdentity) => {
    const old = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (old) await sec.authn.sessions.delete(old); // a new id at login: no session fixation
    const s = await sec.authn.sessions.create(identity);
    const maxAgeSec = sec.authn.options.sessionTtlMs / 1000;
    reply.header('set-cookie', [
      serializeCookie(SESSION_COOKIE, s.id, { maxAgeSec, secure: secure(req) }),
      serializeCookie(CSRF_COOKIE, s.csrfToken, { httpOnly: false, maxAgeSec, secure: secure(req) }),
    ]);
    return s;
  };

  app.post('/auth/login', async (req, reply) => {
    const refused = unsafeRequestRefusal(req, undefined, { requireCsrf: false });
    if (refused) return json(reply, refused.status, { error: refused.message });
    const body = req.body as { username?: unknown; password?: unknown } | null;
    if (typeof body?.username !== 'string' || typeof body?.password !== 'string') return json(reply, 400, { error: 'send {"username": "...", "password": "..."}' });
    try {
      const id = await sec.authn.login(body.username, body.password, req.ip);
      const s = await startSession(req, reply, { ...id, via: 'session' });
      return json(reply, 200, { user: userView(id), csrfToken: s.csrfToken });
    } catch (err) { return sendAuthError(reply, err); }
  });

  app.post('/auth/logout', async (req, reply) => {
    let a;
    try { a = await sec.identify(req); } catch (err) { return sendAuthError(reply, err); }
    const refused = unsafeRequestRefusal(req, a.session, { requireCsrf: true });
    if (refused) return json(reply, refused.status, { error: refused.message });
    if (a.session) await sec.authn.sessions.delete(a.session.id);
    reply.header('set-cookie', [serializeCookie(SESSION_COOKIE, '', { maxAgeSec: 0 }), serializeCookie(CSRF_COOKIE, '', { httpOnly: false, maxAgeSec: 0 })]);
    return json(reply, 200, { user: null });
  });

  app.get('/auth/user', async (req, reply) => {
    let a;
    try { a = await sec.identify(req); } catch (err) { return sendAuthError(reply, err); }
    let csrfToken = a.session?.csrfToken ?? parseCookies(req.headers.cookie)[CSRF_COOKIE];
    if (!csrfToken) {
      csrfToken = newCsrfToken();
      reply.header('set-cookie', serializeCookie(CSRF_COOKIE, csrfToken, { httpOnly: false, secure: secure(req) }));
    }
    reply.header('cache-control', 'no-store');
    return json(reply, 200, { user: userView(a.identity), csrfToken, authMethods: sec.authMethods() });
  });

  const redirectUri = (req: FastifyRequest, provider: string) => {
    const base = sec.authn.options.publicUrl ?? `${req.protocol}://${req.headers.host}/`;
    return `${base.replace(/\/?$/, '/')}auth/oauth/${provider}/callback`;
  };
  const provider = (req: FastifyRequest) => sec.oauth.get((req.params as { provider: string }).provider as ProviderName);

  app.get('/auth/oauth/:provider', async (req, reply) => {
    const p = provider(req);
    if (!p) return json(reply, 404, { error: `OAuth login with '${(req.params as any).provider}' is not configured (www.auth.github / www.auth.gitlab)` });
    const { state, url } = p.begin(redirectUri(req, p.name));
    reply.header('set-cookie', serializeCookie(OAUTH_STATE_COOKIE, state, { maxAgeSec: OAUTH_STATE_TTL_MS / 1000, path: `/auth/oauth/${p.name}`, secure: secure(req) }));
    return reply.redirect(url, 302);
  });

  app.get('/auth/oauth/:provider/callback', async (req, reply) => {
    const p = provider(req);
    if (!p) return json(reply, 404, { error: 'this OAuth provider is not configured' });
    // The provider redirects the browser here (a cross-site navigation): the state cookie is the CSRF check.
    try {
      const user = await p.complete(req.query as Record<string, string>, parseCookies(req.headers.cookie)[OAUTH_STATE_COOKIE], redirectUri(req, p.name));
      // Roles by name come only from `www.auth.users` entries written `github:<login>`: a provider
      // login that happens to equal a local user's name gets none of that user's roles.
      const providerRoles = p.rolesFor(user);
      const roles = [...new Set([...providerRoles, ...(sec.authn.options.users.get(`${p.name}:${user.username}`) ?? [])])];
      await startSession(req, reply, { username: user.username, roles, via: 'oauth', provider: p.name, providerRoles });
      reply.header('set-cookie', [...([reply.getHeader('set-cookie')].flat() as string[]), serializeCookie(OAUTH_STATE_COOKIE, '', { maxAgeSec: 0, path: `/auth/oauth/${p.name}` })]);
      return reply.redirect('/', 302);
    } catch (err) {
      if (err instanceof OAuthError) return json(reply, err.status, { error: err.message });
      throw err;
    }
  });
}
