/**
 * A browser's view of a master's HTTP server for end-to-end tests: log in with the form's JSON
 * (keeping the cookies as a browser would send them back), ask who we are, log out with the
 * CSRF token, and call the API with HTTP Basic credentials as a script would.
 */
import { request as httpRequest } from 'node:http';

export interface WebSession { cookie: string; csrfToken: string }

const json = { 'content-type': 'application/json' };

export async function webLogin(base: string, username: string, password: string): Promise<WebSession> {
  const r = await fetch(`${base}/auth/login`, { method: 'POST', headers: json, body: JSON.stringify({ username, password }) });
  const body = await r.json() as { csrfToken?: string; error?: string };
  if (r.status !== 200) throw new Error(`login as ${username} answered ${r.status}: ${body.error}`);
  return { cookie: r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; '), csrfToken: body.csrfToken! };
}

/** The user name the session cookie stands for (null = anonymous). */
export async function whoAmI(base: string, cookie: string): Promise<string | null> {
  const r = await fetch(`${base}/auth/user`, { headers: { cookie } });
  return ((await r.json()) as { user: { username: string } | null }).user?.username ?? null;
}

export async function webLogout(base: string, s: WebSession): Promise<number> {
  const r = await fetch(`${base}/auth/logout`, { method: 'POST', headers: { ...json, cookie: s.cookie, 'x-csrf-token': s.csrfToken }, body: '{}' });
  return r.status;
}

export function basicAuth(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

/** A JSON-RPC control call on the REST API (e.g. `force` on `forceschedulers/force`); answers the HTTP status. */
export async function rpcStatus(base: string, path: string, method: string, params: Record<string, unknown>, headers: Record<string, string>): Promise<number> {
  const r = await fetch(`${base}/api/v2/${path}`, { method: 'POST', headers: { ...json, ...headers }, body: JSON.stringify({ jsonrpc: '2.0', method, params, id: 1 }) });
  await r.arrayBuffer();
  return r.status;
}

/**
 * An HTTP request sent from a chosen loopback address (127.0.0.0/8 is all local on Linux), so a
 * test can play several clients: answers the status, the Retry-After header and the body text.
 */
export function requestFrom(localAddress: string, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; retryAfter: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', localAddress, headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] as string | undefined, text }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}
