/**
 * OAuth2 authorization-code login with GitHub or GitLab. Each provider is three endpoints
 * (authorize, token, user API) plus a membership list mapped to roles by `groupRoles`; base URLs
 * are options so self-hosted GitLab, GitHub Enterprise and the tests' local stand-ins work alike.
 * The `state` parameter is random, single-use, expires after 10 minutes and is bound to the
 * browser by a cookie, so a callback cannot be replayed or planted (login CSRF).
 * Memberships are read across every page (GitHub and GitLab send `Link: rel="next"`; GitLab may send
 * only `X-Next-Page`), at most `maxGroupPages`, and only from the API's own host: a next-page link
 * elsewhere would receive the user's token.
 */
import type { OAuthProviderOptions } from '../options.js';
import { nextLink } from '../../changes/mirror/discovery.js';
import { oauthState } from './ids.js';
import { ErrorCodes } from '../../errors/catalog.js';
import { OAUTH_PROVIDER_DEFAULTS } from '../../options/www.js';

export type ProviderName = 'github' | 'gitlab';
export const OAUTH_STATE_TTL_MS = 10 * 60_000;
const MAX_PENDING_STATES = 10_000;
/** Default of `maxGroupPages` (declared in options/www.ts): 300 GitHub organisations (30 a page), 1000 GitLab groups (100 a page). */
export const DEFAULT_MAX_GROUP_PAGES = OAUTH_PROVIDER_DEFAULTS.maxGroupPages;

export interface OAuthUser { username: string; email: string | null; fullName: string | null; groups: string[] }

export class OAuthError extends Error {
  readonly code = ErrorCodes.OAUTH_FAILED;
  constructor(readonly status: 400 | 502, message: string) { super(message); this.name = 'OAuthError'; }
}

interface ProviderEndpoints { authorizeUrl: string; tokenUrl: string; scope: string; fetchUser(token: string, get: Getter): Promise<OAuthUser> }
interface Answer { body: any; headers: Headers }
type Getter = (url: string, token: string) => Promise<Answer>;

/** The next page's URL: the Link header's rel="next", else GitLab's X-Next-Page (a page number). */
function nextPage(url: string, headers: Headers): string | null {
  const link = nextLink(headers.get('link'));
  if (link) return new URL(link, url).toString();
  const page = headers.get('x-next-page');
  if (!page || !/^\d+$/.test(page)) return null;
  const next = new URL(url);
  next.searchParams.set('page', page);
  return next.toString();
}

/** Every item of a paginated membership list, at most `maxPages` pages, all from `first`'s host. */
async function allPages(first: string, token: string, get: Getter, what: { provider: ProviderName; noun: string; username: string; maxPages: number }): Promise<any[]> {
  const origin = new URL(first).origin;
  const items: any[] = [];
  let url: string | null = first;
  for (let page = 1; url !== null; page++) {
    if (page > what.maxPages) {
      throw new OAuthError(502, `${what.provider} lists more than ${what.maxPages} page${what.maxPages === 1 ? '' : 's'} of ${what.noun} for ${what.username}; raise www.auth.${what.provider}.maxGroupPages`);
    }
    const { body, headers }: Answer = await get(url, token);
    if (!Array.isArray(body)) throw new OAuthError(502, `${what.provider} answered ${new URL(url).pathname} with something that is not a list of ${what.noun}`);
    items.push(...body);
    url = nextPage(url, headers);
    if (url !== null && new URL(url).origin !== origin) {
      throw new OAuthError(502, `${what.provider} put the next page of ${what.noun} on another host (${new URL(url).origin}); refusing to send the token there`);
    }
  }
  return items;
}

function endpoints(name: ProviderName, o: OAuthProviderOptions): ProviderEndpoints {
  const maxPages = o.maxGroupPages ?? DEFAULT_MAX_GROUP_PAGES;
  if (name === 'github') {
    const base = (o.baseUrl ?? 'https://github.com').replace(/\/$/, '');
    const api = (o.apiUrl ?? (o.baseUrl ? `${base}/api/v3` : 'https://api.github.com')).replace(/\/$/, '');
    return {
      authorizeUrl: `${base}/login/oauth/authorize`, tokenUrl: `${base}/login/oauth/access_token`, scope: 'read:org user:email',
      async fetchUser(token, get) {
        const u = (await get(`${api}/user`, token)).body;
        const orgs = await allPages(`${api}/user/orgs`, token, get, { provider: name, noun: 'organisations', username: String(u.login), maxPages });
        return { username: String(u.login), email: u.email ?? null, fullName: u.name ?? null, groups: orgs.map((x: any) => String(x.login)) };
      },
    };
  }
  const base = (o.baseUrl ?? 'https://gitlab.com').replace(/\/$/, '');
  return {
    authorizeUrl: `${base}/oauth/authorize`, tokenUrl: `${base}/oauth/token`, scope: 'read_user read_api',
    async fetchUser(token, get) {
      const u = (await get(`${base}/api/v4/user`, token)).body;
      const groups = await allPages(`${base}/api/v4/groups?min_access_level=10&per_page=100`, token, get, { provider: name, noun: 'groups', username: String(u.username), maxPages });
      return { username: String(u.username), email: u.email ?? null, fullName: u.name ?? null, groups: groups.map((g: any) => String(g.full_path)) };
    },
  };
}

export class OAuthProvider {
  private readonly ep: ProviderEndpoints;
  private readonly states = new Map<string, number>();

  constructor(readonly name: ProviderName, readonly options: OAuthProviderOptions, private readonly timeoutMs: number) {
    if (!options.clientId || typeof options.clientSecret !== 'string' || !options.clientSecret) {
      throw new Error(`www.auth.${name} needs clientId and clientSecret (strings) from the OAuth application you registered`);
    }
    this.ep = endpoints(name, options);
  }

  /** A fresh state (also to be put in the browser's state cookie) and the URL to send the browser to. */
  begin(redirectUri: string): { state: string; url: string } {
    const state = oauthState();
    this.states.set(state, Date.now() + OAUTH_STATE_TTL_MS);
    while (this.states.size > MAX_PENDING_STATES) this.states.delete(this.states.keys().next().value!);
    const q = new URLSearchParams({ client_id: this.options.clientId, redirect_uri: redirectUri, response_type: 'code', scope: this.ep.scope, state });
    return { state, url: `${this.ep.authorizeUrl}?${q}` };
  }

  /** Checks the callback's state against the cookie and the pending states, then logs the user in. */
  async complete(query: { code?: string; state?: string; error?: string }, cookieState: string | undefined, redirectUri: string): Promise<OAuthUser> {
    if (query.error) throw new OAuthError(400, `${this.name} refused the login: ${query.error}`);
    const expires = query.state ? this.states.get(query.state) : undefined;
    if (query.state) this.states.delete(query.state);
    if (!query.state || query.state !== cookieState || expires === undefined || expires < Date.now()) {
      throw new OAuthError(400, 'the login link is stale or was not started from this browser; start the login again');
    }
    if (!query.code) throw new OAuthError(400, `${this.name} sent no authorization code`);
    const { body: tokenRes } = await this.request(this.ep.tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: this.options.clientId, client_secret: this.options.clientSecret as string, code: query.code, grant_type: 'authorization_code', redirect_uri: redirectUri }).toString(),
    });
    const token = tokenRes?.access_token;
    if (typeof token !== 'string') throw new OAuthError(502, `${this.name} did not return an access token (${tokenRes?.error_description ?? tokenRes?.error ?? 'no reason given'})`);
    return this.ep.fetchUser(token, (url, t) => this.request(url, { headers: { accept: 'application/json', authorization: `Bearer ${t}` } }));
  }

  /** Roles for a provider user: defaultRoles plus those of the groups/orgs they belong to. */
  rolesFor(user: OAuthUser): string[] {
    const roles = new Set(this.options.defaultRoles ?? []);
    for (const g of user.groups) for (const r of this.options.groupRoles?.[g] ?? []) roles.add(r);
    return [...roles];
  }

  private async request(url: string, init: RequestInit): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new OAuthError(502, `could not reach ${this.name} at ${new URL(url).origin}: ${(err as Error).message}`);
    }
    const text = await res.text();
    if (!res.ok) throw new OAuthError(502, `${this.name} answered ${res.status} for ${new URL(url).pathname}`);
    try { return { body: JSON.parse(text), headers: res.headers }; } catch { throw new OAuthError(502, `${this.name} answered ${new URL(url).pathname} with something that is not JSON`); }
  }
}
