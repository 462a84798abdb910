/**
 * Secrets: providers look values up by name; the SecretManager asks them in order and remembers
 * every value it handed out so the redactor can remove it from logs and summaries.
 * `secrets.directory(path)` reads one file per secret (Buildbot's SecretInAFile), refusing files
 * that the group or others may read, so a secret cannot silently sit in a world-readable file.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { isInside } from 'mastro-protocol';
import { Redactor } from './redactor.js';
import { ErrorCodes } from '../errors/catalog.js';

export interface SecretProvider {
  readonly kind: string;
  /** The secret's value, or undefined when this provider does not have it. */
  get(name: string): Promise<string | undefined>;
}

export class SecretError extends Error {
  readonly code = ErrorCodes.SECRET;
  constructor(message: string) { super(message); this.name = 'SecretError'; }
}

export interface DirectoryProviderOptions {
  /** Remove one trailing newline (files written by `echo` end with one). Default true. */
  strip?: boolean;
  /** Largest secret file accepted; default 64 KiB (secrets are passwords and tokens, not archives). */
  maxBytes?: number;
}

export function directoryProvider(dirname: string, opts: DirectoryProviderOptions = {}): SecretProvider {
  const root = resolve(dirname);
  const strip = opts.strip ?? true;
  const maxBytes = opts.maxBytes ?? 64 * 1024;
  return {
    kind: 'directory',
    async get(name: string) {
      // A secret name is a file name: no separators, no '..', so nothing outside the directory is read.
      if (!name || name.includes('/') || name.includes('\\') || name === '.' || name === '..' || name.includes('\0')) {
        throw new SecretError(`invalid secret name ${JSON.stringify(name)}: a secret name must be a plain file name inside ${root}`);
      }
      const file = resolve(root, name);
      if (file === root || !isInside(root, file)) throw new SecretError(`secret name ${JSON.stringify(name)} escapes ${root}`);
      let st;
      try { st = await stat(file); } catch (err: any) {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      }
      if (!st.isFile()) return undefined;
      if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
        throw new SecretError(`secret file ${file} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${file}`);
      }
      if (st.size > maxBytes) throw new SecretError(`secret file ${file} is ${st.size} bytes, more than the ${maxBytes}-byte limit (maxBytes option)`);
      let text = await readFile(file, 'utf8');
      if (strip) text = text.replace(/\r?\n$/, '');
      return text;
    },
  };
}

/** A fixed name->value map (tests, or secrets computed by the config program). */
export function staticProvider(values: Record<string, string>): SecretProvider {
  return { kind: 'static', async get(name) { return Object.hasOwn(values, name) ? values[name] : undefined; } };
}

/** Factories for configs: `secretsProviders: [secrets.directory('/etc/mastro/secrets')]`. */
export const secrets = { directory: directoryProvider, static: staticProvider } as const;

export class SecretManager {
  readonly redactor = new Redactor();
  constructor(private providers: readonly SecretProvider[] = []) {}

  setProviders(providers: readonly SecretProvider[]): void { this.providers = providers; }

  async get(name: string): Promise<string | undefined> {
    for (const p of this.providers) {
      const v = await p.get(name);
      if (v !== undefined) {
        this.redactor.addSecret(name, v);
        return v;
      }
    }
    return undefined;
  }
}
