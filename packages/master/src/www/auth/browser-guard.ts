/**
 * Refuses state-changing requests a browser could be tricked into sending (CSRF):
 *  - cross-site requests, by `Sec-Fetch-Site` (cross-site / same-site) or an `Origin` whose host
 *    is not this server's `Host`;
 *  - bodies that are not JSON (an HTML form can only send urlencoded, multipart or text/plain);
 *  - requests authenticated by the session cookie without the matching `X-CSRF-Token` header
 *    (double submit: the token is in the readable `mastro_csrf` cookie and in `GET /auth/user`).
 * Requests with Bearer or Basic credentials and no cookie come from scripts, which a foreign page
 * cannot make a browser send with credentials attached and a JSON body without a CORS preflight.
 */
import { header, type RequestLike } from './authenticator.js';
import type { Session } from './sessions.js';
import { safeEqual } from '../../util/safe-equal.js';

export interface GuardRefusal { status: 403 | 415; message: string }

export function isJsonContentType(ct: string | undefined): boolean {
  return !!ct && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(ct);
}

export function crossOriginRefusal(req: RequestLike): GuardRefusal | null {
  const site = header(req, 'sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return { status: 403, message: `cross-origin request refused (Sec-Fetch-Site: ${site}); use the API from this server's own pages or from a script with a token` };
  const origin = header(req, 'origin');
  if (origin && origin !== 'null') {
    let host: string;
    try { host = new URL(origin).host; } catch { return { status: 403, message: `cross-origin request refused: malformed Origin ${JSON.stringify(origin)}` }; }
    if (host !== header(req, 'host')) return { status: 403, message: `cross-origin request refused: Origin ${origin} is not this server` };
  } else if (origin === 'null') {
    return { status: 403, message: 'cross-origin request refused: opaque Origin (null)' };
  }
  return null;
}

/** Checks an unsafe (POST) request; `session` is set when the cookie authenticated it. */
export function unsafeRequestRefusal(req: RequestLike, session: Session | undefined, opts: { requireCsrf: boolean }): GuardRefusal | null {
  const cross = crossOriginRefusal(req);
  if (cross) return cross;
  if (!isJsonContentType(header(req, 'content-type'))) return { status: 415, message: 'send the request body as JSON (Content-Type: application/json)' };
  if (session && opts.requireCsrf) {
    const given = header(req, 'x-csrf-token');
    if (!given || !safeEqual(given, session.csrfToken)) return { status: 403, message: 'missing or wrong X-CSRF-Token header: send the csrfToken from GET /auth/user (or the mastro_csrf cookie) with every POST' };
  }
  return null;
}
