/**
 * Deny-by-default authorization. A request for an action is allowed when some rule grants that
 * action to one of the identity's roles and, when the rule names builders or branches, the target
 * matches them. Anonymous identities have the pseudo-role `anonymous`; logged-in ones also have
 * `authenticated`. `www.authz.anonymousView` (default true, like Buildbot) adds a rule letting
 * anonymous users view. `view` is checked without a target: reading is all or nothing.
 */
import type { AuthzAction, AuthzRule, WwwAuthzOptions } from '../options.js';
import { AUTHZ_ACTIONS } from '../../options/www.js';
import type { Identity } from '../auth/identity.js';
import { compileWildcard } from 'mastro-protocol/glob-match';

export type { AuthzAction };
export const ACTIONS: readonly AuthzAction[] = AUTHZ_ACTIONS;

export const DEFAULT_RULES: readonly AuthzRule[] = [
  { actions: '*', roles: ['admin'] },
  { actions: ['view'], roles: ['authenticated'] },
];

/** What an action is about, for rules limited to builders or branches. */
export interface AuthzTarget { builderNames?: readonly string[]; branches?: readonly (string | null)[] }

type Matcher = (name: string) => boolean;
interface CompiledRule { actions: Set<AuthzAction> | null; roles: Set<string>; builders: Matcher[] | null; branches: Matcher[] | null }

/** A builder or branch glob (`*` and `?` match any character, line ends excepted); linear-time, as branch names come from requests. */
const compileNameGlob = (glob: string): Matcher => compileWildcard(glob, 'lineEnd');

export class AuthzDenied extends Error {
  constructor(readonly action: AuthzAction, readonly identity: Identity) {
    super(identity.username === null
      ? `you need to log in to ${action === 'view' ? 'see this' : `use '${action}'`}`
      : `user '${identity.username}' may not use '${action}' here (roles: ${identity.roles.join(', ') || 'none'}); ask an administrator for a role that www.authz grants it to`);
    this.name = 'AuthzDenied';
  }
  get status(): 401 | 403 { return this.identity.username === null ? 401 : 403; }
}

export class Authz {
  private readonly rules: CompiledRule[];

  constructor(options: WwwAuthzOptions = {}) {
    const rules = [...(options.rules ?? DEFAULT_RULES)];
    if (options.anonymousView ?? true) rules.push({ actions: ['view'], roles: ['anonymous'] });
    this.rules = rules.map((r, i) => {
      if (!Array.isArray(r.roles)) throw new Error(`www.authz.rules[${i}].roles must be a list of role names`);
      if (r.actions !== '*' && (!Array.isArray(r.actions) || r.actions.some((a) => !ACTIONS.includes(a)))) {
        throw new Error(`www.authz.rules[${i}].actions must be '*' or a list of ${ACTIONS.join(', ')}`);
      }
      return {
        actions: r.actions === '*' ? null : new Set(r.actions),
        roles: new Set(r.roles),
        builders: r.builders ? r.builders.map(compileNameGlob) : null,
        branches: r.branches ? r.branches.map(compileNameGlob) : null,
      };
    });
  }

  private static rolesOf(id: Identity): Set<string> {
    return new Set(id.username === null ? ['anonymous'] : [...id.roles, 'authenticated']);
  }

  /** True when the identity may do `action` on every builder/branch of the target. */
  allows(id: Identity, action: AuthzAction, target: AuthzTarget = {}): boolean {
    const roles = Authz.rolesOf(id);
    const builders = target.builderNames?.length ? target.builderNames : [null];
    const branches = target.branches?.length ? target.branches : [null];
    // Each (builder, branch) pair must be covered by some rule.
    return builders.every((b) => branches.every((br) => this.rules.some((r) =>
      (r.actions === null || r.actions.has(action))
      && [...roles].some((x) => r.roles.has(x))
      && (r.builders === null || (b !== null && r.builders.some((m) => m(b))))
      && (r.branches === null || (br !== null && br !== undefined && r.branches.some((m) => m(br)))))));
  }

  assert(id: Identity, action: AuthzAction, target?: AuthzTarget): void {
    if (!this.allows(id, action, target)) throw new AuthzDenied(action, id);
  }
}
