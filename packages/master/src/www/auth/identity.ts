/** Who is asking: the result of authentication, the input of authorization. */
export interface Identity {
  /** null for anonymous requests. */
  readonly username: string | null;
  readonly roles: readonly string[];
  /** How the identity was established. */
  readonly via: 'anonymous' | 'session' | 'token' | 'basic' | 'oauth';
}

export const ANONYMOUS: Identity = Object.freeze({ username: null, roles: Object.freeze([]) as readonly string[], via: 'anonymous' as const });

/**
 * What a session remembers of its user. Roles are worked out again at every request from the
 * users store and `www.auth.users` in force (so a reconfig or `mastro user remove` reaches open
 * sessions); for OAuth logins the provider's part (group roles, default roles), which only a new
 * login can refresh, is kept here with the provider's name.
 */
export interface SessionIdentity extends Identity {
  readonly provider?: 'github' | 'gitlab';
  readonly providerRoles?: readonly string[];
}
