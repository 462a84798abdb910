/**
 * Config checks for `www.auth`, `www.authz` and `www.changeHookAuth`, so `mastro checkconfig` and
 * a reconfig report their mistakes with paths instead of the HTTP server failing at start.
 *
 * The shape checks here name the exact path of a mistake; then the www module's own constructors
 * (Authz, OAuthProvider, resolveAuthOptions: what the server will run) are tried on the result, so
 * whatever they would refuse at start-up is refused here too, from one source of truth.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ACTIONS, Authz } from '../www/authz/rules.js';
import { resolveAuthOptions } from '../www/auth/options.js';
import { OAuthProvider } from '../www/auth/oauth.js';
import { changeHookAuthWarning } from '../www/hooks/hook-auth.js';
import { bool, describe, isPlainObject, knownKeys, num, strList, type Obj } from '../model/config-checks.js';
import type { IssueCollector } from '../model/config-errors.js';
import { AUTH_OPTION_DEFAULTS, AuthOptions, AuthzOptions, AuthzRule, OAuthProviderOptions } from '../options/www.js';

// Option names as declared (options/www.ts).
export const AUTH_KEYS = Object.keys(AuthOptions.properties);
export const OAUTH_KEYS = Object.keys(OAuthProviderOptions.properties);
export const AUTHZ_KEYS = Object.keys(AuthzOptions.properties);
export const AUTHZ_RULE_KEYS = Object.keys(AuthzRule.properties);

function url(c: IssueCollector, o: Obj, key: string): void {
  const v = o[key];
  if (v === undefined) return;
  if (typeof v !== 'string' || !/^https?:\/\/[^/]/.test(v)) { c.add(key, `must be an http(s) URL, got ${describe(v)}`); return; }
  try { new URL(v); } catch { c.add(key, `is not a valid URL: ${JSON.stringify(v)}`); }
}

function nonEmptyString(c: IssueCollector, o: Obj, key: string, hint: string): void {
  const v = o[key];
  if (v === undefined) c.add(key, `is required (${hint})`);
  else if (typeof v !== 'string' || v === '') c.add(key, `must be a non-empty string (${hint}), got ${describe(v)}`);
}

function checkOAuth(c: IssueCollector, raw: unknown, name: 'github' | 'gitlab', timeoutMs: number): void {
  if (!isPlainObject(raw)) { c.here(`must be an object { clientId, clientSecret, ... }, got ${describe(raw)}`); return; }
  knownKeys(c, raw, OAUTH_KEYS);
  const before = c.count;
  nonEmptyString(c, raw, 'clientId', 'the OAuth application\'s client id');
  nonEmptyString(c, raw, 'clientSecret', 'the OAuth application\'s client secret');
  url(c, raw, 'baseUrl');
  url(c, raw, 'apiUrl');
  strList(c, raw, 'defaultRoles');
  num(c, raw, 'maxGroupPages', { fallback: 0, min: 1, integer: true });
  const groups = raw.groupRoles;
  if (groups !== undefined) {
    if (!isPlainObject(groups)) c.add('groupRoles', `must be an object { '<org or group>': ['role', ...] }, got ${describe(groups)}`);
    else for (const g of Object.keys(groups)) strList(c.at('groupRoles'), groups, g, { required: true });
  }
  if (c.count !== before) return;
  try { new OAuthProvider(name, raw as never, timeoutMs); } catch (err) { c.here((err as Error).message); }
}

function checkAuth(c: IssueCollector, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  if (!isPlainObject(raw)) { c.here(`must be an object { users, basic, github, ... }, got ${describe(raw)}`); return; }
  knownKeys(c, raw, AUTH_KEYS);
  const before = c.count;
  const users = raw.users;
  if (users !== undefined) {
    if (!Array.isArray(users)) c.add('users', `must be a list of { username, roles }, got ${describe(users)}`);
    else users.forEach((u, i) => {
      const uc = c.at('users').at(i);
      if (!isPlainObject(u)) { uc.here(`must be { username, roles: [...] }, got ${describe(u)}`); return; }
      knownKeys(uc, u, ['username', 'roles']);
      nonEmptyString(uc, u, 'username', "a local user name, or 'github:<login>' / 'gitlab:<username>'");
      strList(uc, u, 'roles', { required: true });
    });
  }
  bool(c, raw, 'basic', true);
  num(c, raw, 'sessionTtlSec', { fallback: 0, min: 1 });
  num(c, raw, 'maxSessions', { fallback: 0, min: 1, integer: true });
  num(c, raw, 'sessionSweepSec', { fallback: 0, min: 1 });
  num(c, raw, 'loginBurst', { fallback: 0, min: 1, integer: true });
  num(c, raw, 'loginRefillPerSecond', { fallback: 0, min: 0 });
  num(c, raw, 'oauthTimeoutMs', { fallback: 0, min: 1, integer: true });
  url(c, raw, 'publicUrl');
  const timeout = typeof raw.oauthTimeoutMs === 'number' ? raw.oauthTimeoutMs : AUTH_OPTION_DEFAULTS.oauthTimeoutMs;
  for (const p of ['github', 'gitlab'] as const) if (raw[p] !== undefined) checkOAuth(c.at(p), raw[p], p, timeout);
  if (c.count !== before) return;
  try { resolveAuthOptions(raw as never); } catch (err) { c.here((err as Error).message); }
}

function checkAuthz(c: IssueCollector, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  if (!isPlainObject(raw)) { c.here(`must be an object { anonymousView, rules }, got ${describe(raw)}`); return; }
  knownKeys(c, raw, AUTHZ_KEYS);
  const before = c.count;
  bool(c, raw, 'anonymousView', true);
  const rules = raw.rules;
  if (rules !== undefined) {
    if (!Array.isArray(rules)) c.add('rules', `must be a list of { actions, roles, builders?, branches? }, got ${describe(rules)}`);
    else rules.forEach((r, i) => {
      const rc = c.at('rules').at(i);
      if (!isPlainObject(r)) { rc.here(`must be { actions, roles, builders?, branches? }, got ${describe(r)}`); return; }
      knownKeys(rc, r, AUTHZ_RULE_KEYS);
      if (r.actions === undefined) rc.add('actions', `is required: '*' or a list of ${ACTIONS.join(', ')}`);
      else if (r.actions !== '*') {
        if (!Array.isArray(r.actions)) rc.add('actions', `must be '*' or a list of ${ACTIONS.join(', ')}, got ${describe(r.actions)}`);
        else r.actions.forEach((a, j) => { if (!ACTIONS.includes(a)) rc.at('actions').add(j, `unknown action ${JSON.stringify(a)}; actions are: ${ACTIONS.join(', ')}`); });
      }
      strList(rc, r, 'roles', { required: true });
      strList(rc, r, 'builders');
      strList(rc, r, 'branches');
    });
  }
  if (c.count !== before) return;
  try { new Authz(raw as never); } catch (err) { c.here((err as Error).message); }
}

const HOOK_AUTH_FORMS = "{ username, password }, 'file:PATH', { file: PATH } or { usersStore: true | { roles: [...] } }";

function checkPasswordFile(c: IssueCollector, file: string, masterDir: string): void {
  if (!file) { c.here('names no file: write file:PATH (relative to the master directory)'); return; }
  const path = isAbsolute(file) ? file : join(masterDir, file);
  if (!existsSync(path)) c.here(`the password file ${path} does not exist; create it with one "user:password" line per account`);
}

function checkChangeHookAuth(c: IssueCollector, raw: unknown, masterDir: string): void {
  if (raw === undefined || raw === null || raw === false) return;
  if (!Array.isArray(raw)) { c.here(`must be a list of ${HOOK_AUTH_FORMS}, or false for open hooks; got ${describe(raw)}`); return; }
  if (raw.length === 0) c.here('is an empty list, which would refuse every hook request; list accounts, or use false for open hooks');
  raw.forEach((e, i) => {
    const ec = c.at(i);
    if (typeof e === 'string') {
      if (!e.startsWith('file:')) ec.here(`a string entry must be 'file:PATH' (Buildbot's password file), got ${JSON.stringify(e)}`);
      else checkPasswordFile(ec, e.slice(5), masterDir);
      return;
    }
    if (!isPlainObject(e)) { ec.here(`must be ${HOOK_AUTH_FORMS}, got ${describe(e)}`); return; }
    if ('file' in e) {
      knownKeys(ec, e, ['file']);
      if (typeof e.file !== 'string') ec.add('file', `must be a path, got ${describe(e.file)}`);
      else checkPasswordFile(ec.at('file'), e.file, masterDir);
    } else if ('usersStore' in e) {
      knownKeys(ec, e, ['usersStore']);
      const s = e.usersStore;
      if (isPlainObject(s)) { knownKeys(ec.at('usersStore'), s, ['roles']); strList(ec.at('usersStore'), s, 'roles', { nonEmpty: true }); }
      else if (s !== true) ec.add('usersStore', `must be true or { roles: [...] }, got ${describe(s)}`);
    } else {
      knownKeys(ec, e, ['username', 'password']);
      nonEmptyString(ec, e, 'username', 'the user name clients send');
      nonEmptyString(ec, e, 'password', 'the password clients send');
    }
  });
}

/**
 * Checks `www.auth`, `www.authz` and `www.changeHookAuth` of a `www` object; `c` is rooted at `www`.
 * Returns the warnings worth printing even for a valid config (open change hooks on the network).
 */
export function checkWwwSecurity(c: IssueCollector, www: Obj, masterDir: string): string[] {
  checkAuth(c.at('auth'), www.auth);
  checkAuthz(c.at('authz'), www.authz);
  checkChangeHookAuth(c.at('changeHookAuth'), www.changeHookAuth, masterDir);
  const warning = changeHookAuthWarning(www as never);
  return warning ? [warning] : [];
}
