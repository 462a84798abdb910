/** Checks a change-source spec and fills its defaults; every mistake is reported with its path. */
import type { IssueCollector } from '../config/errors.js';
import { bool, describe, isPlainObject, knownKeys, num, optStr, str } from '../config/checks.js';
import { GIT_POLLER_DEFAULTS, type ChangeSourceSpec, type GitPollerSpec } from './specs.js';
import { redactUrl } from './redact.js';
import { resolveMirrorOptions, MIRROR_DEFAULTS } from './mirror/options.js';
import type { GerritStreamSpec } from './gerrit-stream.js';
import { normalisePbChangeSource } from './pb/options.js';
import { isHttpUrl, isSshUrl, STRICT_HOST_KEY_CHECKING_VALUES, type GitTokenSource } from './git-credentials.js';
import { isRenderable } from '../process/step-types.js';

export const GIT_POLLER_KEYS = ['kind', 'repourl', 'branches', 'pollInterval', 'pollAtLaunch', 'firstPollChanges', 'workdir', 'name', 'project', 'category', 'codebase', 'gitTimeout', 'gitMaxOutputBytes', 'gitBin',
  'sshPrivateKey', 'sshKnownHosts', 'sshStrictHostKeyChecking', 'httpToken', 'httpAuth', 'httpUsername'];
export const MIRROR_POLLER_KEYS = ['kind', 'name', 'repositories', 'glob', 'forge', 'discoveryInterval', 'mirrorDir', 'refspecs', 'branches', 'emitChanges',
  'buildPushesWithNoCommits', 'maxChangesPerRef', 'hook', 'pollInterval', 'pollAtLaunch', 'concurrency', 'gitTimeout', 'gitMaxOutputBytes', 'gitBin', 'project', 'codebase', 'category'];
export const GERRIT_STREAM_KEYS = ['kind', 'name', 'server', 'username', 'port', 'identityFile', 'command', 'backoffMin', 'backoffMax', 'goodConnectionTime',
  'maxLineBytes', 'gitBaseURL', 'handledEvents', 'source'];
export const CHANGE_SOURCE_KINDS = ['gitPoller', 'mirrorPoller', 'gerritStream', 'pb'];

export function normaliseChangeSource(raw: unknown, c: IssueCollector): ChangeSourceSpec | null {
  if (!isPlainObject(raw)) { c.here(`must be a change source (changes.gitPoller({...}), changes.mirrorPoller({...}), changes.gerritStream({...}), changes.pb({...})), got ${describe(raw)}`); return null; }
  if (raw.kind === 'mirrorPoller') return normaliseMirrorPoller(raw, c);
  if (raw.kind === 'pb') return normalisePbChangeSource(raw, c);
  if (raw.kind === 'gerritStream') return normaliseGerritStream(raw, c);
  if (raw.kind !== 'gitPoller') {
    c.add('kind', `unknown change source kind ${JSON.stringify(raw.kind)}; kinds are: ${CHANGE_SOURCE_KINDS.join(', ')}`);
    return null;
  }
  knownKeys(c, raw, GIT_POLLER_KEYS);
  const repourl = str(c, raw, 'repourl', { required: true, nonEmpty: true });
  // git would read a leading '-' as an option (e.g. --upload-pack=<command>).
  if (repourl.startsWith('-')) c.add('repourl', `must be a URL or a path, not something starting with '-' (got ${JSON.stringify(redactUrl(repourl))})`);
  const branches = raw.branches;
  if (branches !== undefined && branches !== true && typeof branches !== 'function') {
    if (!Array.isArray(branches) || !branches.every((b) => typeof b === 'string')) c.add('branches', `must be a list of branch names, true (all branches) or a function, got ${describe(branches)}`);
  }
  const workdir = optStr(c, raw, 'workdir');
  if (workdir && workdir.split(/[\\/]/).includes('..')) c.add('workdir', 'must stay inside the master directory (no ..)');
  return {
    kind: 'gitPoller',
    repourl,
    branches: (branches as GitPollerSpec['branches']) ?? [...GIT_POLLER_DEFAULTS.branches],
    pollInterval: num(c, raw, 'pollInterval', { fallback: GIT_POLLER_DEFAULTS.pollInterval, min: 0.01 }),
    pollAtLaunch: bool(c, raw, 'pollAtLaunch', GIT_POLLER_DEFAULTS.pollAtLaunch),
    firstPollChanges: num(c, raw, 'firstPollChanges', { fallback: GIT_POLLER_DEFAULTS.firstPollChanges, min: 0, integer: true }),
    workdir: workdir ?? undefined,
    name: optStr(c, raw, 'name') ?? redactUrl(repourl),
    project: optStr(c, raw, 'project') ?? GIT_POLLER_DEFAULTS.project,
    category: optStr(c, raw, 'category'),
    codebase: optStr(c, raw, 'codebase') ?? GIT_POLLER_DEFAULTS.codebase,
    gitTimeout: num(c, raw, 'gitTimeout', { fallback: GIT_POLLER_DEFAULTS.gitTimeout, min: 1 }),
    gitMaxOutputBytes: num(c, raw, 'gitMaxOutputBytes', { fallback: GIT_POLLER_DEFAULTS.gitMaxOutputBytes, min: 1024, integer: true }),
    gitBin: optStr(c, raw, 'gitBin') ?? GIT_POLLER_DEFAULTS.gitBin,
    ...gitPollerCredentials(raw, repourl, c),
  };
}

/** The credential options: checked for shape here; files and environment variables are read at poll time. */
function gitPollerCredentials(raw: Record<string, unknown>, repourl: string, c: IssueCollector): Partial<GitPollerSpec> {
  const out: Partial<GitPollerSpec> = {};
  const sshPrivateKey = optStr(c, raw, 'sshPrivateKey');
  const sshKnownHosts = optStr(c, raw, 'sshKnownHosts');
  const strict = raw.sshStrictHostKeyChecking;
  if (sshPrivateKey !== null) { if (!sshPrivateKey) c.add('sshPrivateKey', 'must be the path of a private key file'); else out.sshPrivateKey = sshPrivateKey; }
  if (sshKnownHosts !== null) { if (!sshKnownHosts) c.add('sshKnownHosts', 'must be the path of a known_hosts file'); else out.sshKnownHosts = sshKnownHosts; }
  if (strict !== undefined) {
    if (!STRICT_HOST_KEY_CHECKING_VALUES.includes(strict as never)) c.add('sshStrictHostKeyChecking', `must be one of ${STRICT_HOST_KEY_CHECKING_VALUES.map((v) => `'${v}'`).join(', ')}, got ${describe(strict)}`);
    else out.sshStrictHostKeyChecking = strict as GitPollerSpec['sshStrictHostKeyChecking'];
  }
  const sshKeys = (['sshPrivateKey', 'sshKnownHosts', 'sshStrictHostKeyChecking'] as const).filter((k) => raw[k] !== undefined);
  if (sshKeys.length && repourl && !isSshUrl(repourl)) c.add(sshKeys[0]!, `applies only to ssh repository URLs (ssh://host/repo or user@host:repo), but repourl is ${JSON.stringify(redactUrl(repourl))}`);

  const token = raw.httpToken;
  if (token !== undefined) {
    if (tokenSourceProblem(token)) c.add('httpToken', `${tokenSourceProblem(token)}; give the token, { env: 'GITHUB_TOKEN' }, { file: 'path' } or util.secret('name')`);
    else out.httpToken = token as GitTokenSource;
    if (repourl && !isHttpUrl(repourl)) c.add('httpToken', `is sent only to http(s) repositories, but repourl is ${JSON.stringify(redactUrl(repourl))}`);
  }
  const auth = raw.httpAuth;
  if (auth !== undefined && auth !== 'basic' && auth !== 'bearer') c.add('httpAuth', `must be 'basic' or 'bearer', got ${describe(auth)}`);
  const username = optStr(c, raw, 'httpUsername');
  if (username !== null && (!username || username.includes(':') || /[\r\n]/.test(username))) c.add('httpUsername', 'must be a non-empty user name without \':\' or line breaks');
  if (username !== null && auth === 'bearer') c.add('httpUsername', "is used only with httpAuth 'basic' (a bearer token has no user name)");
  if ((auth !== undefined || username !== null) && token === undefined) c.add(auth !== undefined ? 'httpAuth' : 'httpUsername', 'has no effect without httpToken');
  if (token !== undefined) {
    out.httpAuth = auth === 'bearer' ? 'bearer' : GIT_POLLER_DEFAULTS.httpAuth;
    if (out.httpAuth === 'basic') out.httpUsername = username || GIT_POLLER_DEFAULTS.httpUsername;
  }
  return out;
}

/** What is wrong with an httpToken value (never quoting it), or null when it is usable. */
function tokenSourceProblem(token: unknown): string | null {
  if (typeof token === 'string') return !token ? 'must not be empty' : /[\r\n]/.test(token) ? 'must be a single line' : null;
  if (isRenderable(token)) return null;
  if (isPlainObject(token)) {
    const keys = Object.keys(token);
    if (keys.length === 1 && keys[0] === 'env') return typeof token.env === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(token.env) ? null : `{ env } must name an environment variable, got ${describe(token.env)}`;
    if (keys.length === 1 && keys[0] === 'file') return typeof token.file === 'string' && token.file ? null : `{ file } must be a path, got ${describe(token.file)}`;
    return `an object must be { env: 'NAME' } or { file: 'path' }, got keys ${keys.join(', ') || '(none)'}`;
  }
  return `must be a string, got ${typeof token}`;
}

/** The mirror poller checks its own options (resolveMirrorOptions); its message names the option. */
function normaliseMirrorPoller(raw: Record<string, unknown>, c: IssueCollector): ChangeSourceSpec | null {
  knownKeys(c, raw, MIRROR_POLLER_KEYS);
  const name = optStr(c, raw, 'name') ?? MIRROR_DEFAULTS.name;
  if (raw.repositories !== undefined && !Array.isArray(raw.repositories)) c.add('repositories', `must be a list of URLs, paths or {url, name, revlink}, got ${describe(raw.repositories)}`);
  if (raw.hook !== undefined && (!isPlainObject(raw.hook) || !Array.isArray(raw.hook.command) || !raw.hook.command.every((x) => typeof x === 'string'))) {
    c.add('hook', `must be {command: [argv...], env?, timeout?}, got ${describe(raw.hook)}`);
  }
  try { resolveMirrorOptions(raw as never); } catch (err) {
    const msg = (err as Error).message;
    const m = /^mirrorPoller\.(\w+)(?:\.\w+)?: (.*)$/s.exec(msg);
    if (m) c.add(m[1]!, m[2]!); else c.here(msg.replace(/^mirrorPoller: /, ''));
    return null;
  }
  return { ...(raw as object), kind: 'mirrorPoller', name } as ChangeSourceSpec;
}

function normaliseGerritStream(raw: Record<string, unknown>, c: IssueCollector): GerritStreamSpec | null {
  knownKeys(c, raw, GERRIT_STREAM_KEYS);
  const server = optStr(c, raw, 'server');
  const username = optStr(c, raw, 'username');
  const command = raw.command;
  if (command !== undefined && (!Array.isArray(command) || !command.length || !command.every((x) => typeof x === 'string'))) {
    c.add('command', `must be a non-empty argv list such as ['ssh', '-p', '29418', 'me@gerrit', 'gerrit', 'stream-events'], got ${describe(command)}`);
  }
  if (command === undefined && !(server && username)) { c.here("needs 'server' and 'username' (to run ssh ... gerrit stream-events) or 'command'"); return null; }
  const port = num(c, raw, 'port', { fallback: 29418, min: 1, max: 65535, integer: true });
  for (const k of ['backoffMin', 'backoffMax', 'goodConnectionTime', 'maxLineBytes'] as const) if (raw[k] !== undefined) num(c, raw, k, { fallback: 1, min: 0.001 });
  return { ...(raw as object), kind: 'gerritStream', port, name: optStr(c, raw, 'name') ?? `gerrit:${username ?? ''}@${server ?? 'command'}:${port}` } as GerritStreamSpec;
}

/** Change sources are identified by name: two pollers of one repository need distinct names. */
export function changeSourceName(spec: ChangeSourceSpec): string {
  if (spec.kind !== 'gitPoller') return spec.name ?? spec.kind;
  return spec.name ?? redactUrl((spec as GitPollerSpec).repourl);
}
