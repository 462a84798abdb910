/** `www.auth` with every default filled in (see WwwAuthOptions in www/options.ts for the meaning). */
import type { OAuthProviderOptions, WwwAuthOptions } from '../options.js';
import { AUTH_OPTION_DEFAULTS } from '../../options/www.js';

/** `www.auth` defaults, declared with the options (options/www.ts). */
export const AUTH_DEFAULTS = AUTH_OPTION_DEFAULTS;

export interface ResolvedAuthOptions {
  users: ReadonlyMap<string, readonly string[]>;
  basic: boolean;
  sessionTtlMs: number;
  maxSessions: number;
  sessionSweepMs: number;
  loginBurst: number;
  loginRefillPerSecond: number;
  publicUrl: string | null;
  oauth: Partial<Record<'github' | 'gitlab', OAuthProviderOptions>>;
  oauthTimeoutMs: number;
}

export function resolveAuthOptions(o: WwwAuthOptions | undefined, buildbotURL?: string | null): ResolvedAuthOptions {
  const users = new Map<string, string[]>();
  for (const u of o?.users ?? []) users.set(u.username, [...(users.get(u.username) ?? []), ...u.roles]);
  const oauth: ResolvedAuthOptions['oauth'] = {};
  if (o?.github) oauth.github = o.github;
  if (o?.gitlab) oauth.gitlab = o.gitlab;
  // A buildbotURL on port 0 (tests) is no public address: fall back to the request's Host.
  const fromConfig = buildbotURL && !/:0\/?$/.test(buildbotURL) ? buildbotURL : null;
  return {
    users,
    basic: o?.basic ?? AUTH_DEFAULTS.basic,
    sessionTtlMs: (o?.sessionTtlSec ?? AUTH_DEFAULTS.sessionTtlSec) * 1000,
    maxSessions: o?.maxSessions ?? AUTH_DEFAULTS.maxSessions,
    sessionSweepMs: (o?.sessionSweepSec ?? AUTH_DEFAULTS.sessionSweepSec) * 1000,
    loginBurst: o?.loginBurst ?? AUTH_DEFAULTS.loginBurst,
    loginRefillPerSecond: o?.loginRefillPerSecond ?? AUTH_DEFAULTS.loginRefillPerSecond,
    publicUrl: o?.publicUrl ?? fromConfig,
    oauth,
    oauthTimeoutMs: o?.oauthTimeoutMs ?? AUTH_DEFAULTS.oauthTimeoutMs,
  };
}
