/** Minimal cookie parsing and serialising (names and values are our own ASCII tokens). */
export const SESSION_COOKIE = 'mastro_session';
/** Readable by the page's script: the double-submit CSRF token it echoes in `X-CSRF-Token`. */
export const CSRF_COOKIE = 'mastro_csrf';
export const OAUTH_STATE_COOKIE = 'mastro_oauth_state';

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    if (!(k in out)) out[k] = decodeCookieValue(part.slice(i + 1).trim());
  }
  return out;
}

/**
 * Cookies are shared by every application on the host (whatever its port), so a value another one
 * set need not be valid percent-encoding: it is kept as sent rather than failing the request.
 */
function decodeCookieValue(v: string): string {
  try { return decodeURIComponent(v); } catch { return v; }
}

export interface CookieOptions { httpOnly?: boolean; maxAgeSec?: number; secure?: boolean; path?: string }

export function serializeCookie(name: string, value: string, o: CookieOptions = {}): string {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path ?? '/'}`, 'SameSite=Lax'];
  if (o.httpOnly !== false) parts.push('HttpOnly');
  if (o.maxAgeSec !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(o.maxAgeSec))}`);
  if (o.secure) parts.push('Secure');
  return parts.join('; ');
}
