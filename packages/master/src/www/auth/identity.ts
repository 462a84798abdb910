/** Who is asking: the result of authentication, the input of authorization. */
export interface Identity {
  /** null for anonymous requests. */
  readonly username: string | null;
  readonly roles: readonly string[];
  /** How the identity was established. */
  readonly via: 'anonymous' | 'session' | 'token' | 'basic' | 'oauth';
}

export const ANONYMOUS: Identity = Object.freeze({ username: null, roles: Object.freeze([]) as readonly string[], via: 'anonymous' as const });
