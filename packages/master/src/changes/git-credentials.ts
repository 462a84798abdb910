/**
 * Credentials for git commands run by change sources, handed to git only through its environment:
 *
 * - an HTTP token becomes an `http.<origin>/.extraHeader` config entry passed as
 *   `GIT_CONFIG_COUNT/KEY/VALUE` variables, so it never appears in argv (visible to every local
 *   user through `ps`), in a config file, or in the URL (which git echoes in its messages);
 * - an SSH key becomes `GIT_SSH_COMMAND` (`ssh -i <key> -o IdentitiesOnly=yes -o BatchMode=yes`),
 *   after checking that the key file is private to its owner.
 *
 * Every value derived from a secret is returned in `secrets` so callers scrub it from error texts.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isRenderable, type Renderable } from '../process/step-types.js';
import { renderValue } from '../process/renderables.js';
import { Properties } from '../process/properties.js';
import { ErrorCodes } from '../errors/catalog.js';

export type HttpAuthScheme = 'basic' | 'bearer';
/** Where a token comes from: the literal value, an environment variable, a private file, or a renderable (`util.secret('name')`). */
export type GitTokenSource = string | { env: string } | { file: string } | Renderable<string>;
export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new';

export const DEFAULT_HTTP_USERNAME = 'x-access-token';
export const STRICT_HOST_KEY_CHECKING_VALUES: readonly StrictHostKeyChecking[] = ['yes', 'no', 'accept-new'];

export class GitCredentialError extends Error {
  readonly code = ErrorCodes.GIT_CREDENTIAL;
  constructor(message: string) { super(message); this.name = 'GitCredentialError'; }
}

/**
 * Git config entries as environment variables. Entries already configured this way in `base` (the
 * operator's environment) are kept: the new ones are numbered after them.
 */
export function gitConfigEnv(entries: Readonly<Record<string, string>>, base: NodeJS.ProcessEnv = {}): Record<string, string> {
  const list = Object.entries(entries);
  if (!list.length) return {};
  const first = Math.max(0, Number.parseInt(base.GIT_CONFIG_COUNT ?? '0', 10) || 0);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(first + list.length) };
  list.forEach(([k, v], i) => { env[`GIT_CONFIG_KEY_${first + i}`] = k; env[`GIT_CONFIG_VALUE_${first + i}`] = v; });
  return env;
}

/** The `Authorization:` header line for a token: Basic with a user name (GitHub's `x-access-token` by default) or Bearer. */
export function authorizationHeader(token: string, o: { auth?: HttpAuthScheme; username?: string } = {}): string {
  if ((o.auth ?? 'basic') === 'bearer') return `Authorization: Bearer ${token}`;
  return `Authorization: Basic ${Buffer.from(`${o.username ?? DEFAULT_HTTP_USERNAME}:${token}`).toString('base64')}`;
}

/**
 * The texts to scrub when a header line was handed to git: the line, its credential part and, for
 * Basic, the decoded password (git or a proxy may echo any of them).
 */
export function headerSecrets(header: string): string[] {
  const out = [header];
  const m = /^authorization:\s*(\S+)\s+(\S+)\s*$/i.exec(header);
  if (m) {
    out.push(m[2]!);
    if (m[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) out.push(decoded.slice(colon + 1));
    }
  }
  return out;
}

/** The config entry that sends `header` on http(s) requests to the origin of `url` only (no other host gets it). */
export function extraHeaderConfig(url: string, header: string): Record<string, string> {
  return { [`http.${new URL(url).origin}/.extraHeader`]: header };
}

export function isHttpUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** ssh:// URLs and scp-like `[user@]host:path` (a colon before any slash, not a Windows drive letter). */
export function isSshUrl(url: string): boolean {
  if (/^(ssh|git\+ssh|ssh\+git):\/\//i.test(url)) return true;
  if (url.includes('://')) return false;
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  return colon > 1 && (slash < 0 || colon < slash);
}

/** Refuses a key or token file that is missing, not a file, or readable by group or others (like ssh and the secrets directory do). */
export async function checkPrivateFile(path: string, what: string): Promise<{ size: number }> {
  let st;
  try { st = await stat(path); } catch (err: any) {
    throw new GitCredentialError(err?.code === 'ENOENT' ? `${what} ${path} does not exist` : `${what} ${path} cannot be read: ${err?.message ?? err}`);
  }
  if (!st.isFile()) throw new GitCredentialError(`${what} ${path} is not a file`);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new GitCredentialError(`${what} ${path} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${path}`);
  }
  return { size: st.size };
}

/** Largest token file read (a token is a line, not an archive; same bound as the secrets directory). */
export const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/** Quotes one word for the POSIX shell git runs GIT_SSH_COMMAND with. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export interface SshOptions {
  /** Absolute path of the private key. */
  privateKey?: string;
  /** Absolute path of a known_hosts file to use instead of the user's. */
  knownHosts?: string;
  strictHostKeyChecking?: StrictHostKeyChecking;
  /** The ssh program. Default 'ssh' (found on PATH). */
  sshBin?: string;
}

/** The GIT_SSH_COMMAND value: batch mode (never a prompt), and only the given key when there is one. */
export function sshCommand(o: SshOptions): string {
  const words = [o.sshBin ?? 'ssh'];
  if (o.privateKey) words.push('-i', o.privateKey, '-o', 'IdentitiesOnly=yes');
  words.push('-o', 'BatchMode=yes');
  if (o.knownHosts) words.push('-o', `UserKnownHostsFile=${o.knownHosts}`);
  if (o.strictHostKeyChecking) words.push('-o', `StrictHostKeyChecking=${o.strictHostKeyChecking}`);
  return words.map(shellQuote).join(' ');
}

export interface TokenContext {
  /** Directory relative `{ file }` paths start from (the master directory). */
  baseDir: string;
  /** Secret lookup for renderable tokens (`util.secret('name')`); absent when the master gives none. */
  getSecret?: (name: string) => Promise<string | undefined>;
  env?: NodeJS.ProcessEnv;
}

/** The token's value now (an environment variable or a file may change between polls). */
export async function resolveToken(source: GitTokenSource, what: string, ctx: TokenContext): Promise<string> {
  let value: unknown;
  if (typeof source === 'string') value = source;
  else if (isRenderable(source)) {
    if (!ctx.getSecret) throw new GitCredentialError(`${what} is a renderable (util.secret), but this master gives change sources no secret providers; use a string, { env: 'NAME' } or { file: 'path' }`);
    const getSecret = ctx.getSecret;
    try {
      value = await renderValue(source, { properties: new Properties(), sourcestamps: [], workerInfo: {}, getSecret });
    } catch (err) {
      throw new GitCredentialError(`${what}: ${(err as Error).message}`);
    }
  } else if ('env' in source) {
    value = (ctx.env ?? process.env)[source.env];
    if (value === undefined || value === '') throw new GitCredentialError(`${what}: the environment variable ${source.env} is not set (or empty) in the master's environment`);
  } else {
    const path = resolve(ctx.baseDir, source.file);
    const { size } = await checkPrivateFile(path, `${what} file`);
    if (size > MAX_TOKEN_FILE_BYTES) throw new GitCredentialError(`${what} file ${path} is ${size} bytes; a token file holds one line (at most ${MAX_TOKEN_FILE_BYTES} bytes)`);
    value = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
  }
  if (typeof value !== 'string' || !value) throw new GitCredentialError(`${what} is empty; give the token itself, { env: 'NAME' }, { file: 'path' } or util.secret('name')`);
  if (/[\r\n]/.test(value)) throw new GitCredentialError(`${what} contains a line break; a token is a single line`);
  return value;
}
