/**
 * The environment of a shell command, with Buildbot's rules: list values are joined with the
 * platform's path separator, `${NAME}` is replaced by the worker's own value of NAME (empty when
 * unset), a null value removes the variable, and PYTHONPATH is extended rather than replaced.
 *
 * On Windows variable names are case-insensitive (the system stores `Path`, a step says `PATH`;
 * Buildbot's Python worker sees them upper-cased): a name given by the master replaces, removes or
 * expands the variable whatever its case, so the child never gets two spellings of one variable.
 */
import path from 'node:path';

export class EnvError extends Error {
  constructor(message: string) { super(message); this.name = 'EnvError'; }
}

const VAR_RE = /\$\{([0-9a-zA-Z_]*)\}/g;

export function buildEnvironment(requested: Record<string, unknown> | null | undefined, base: NodeJS.ProcessEnv = process.env,
  pathSep: string = path.delimiter, platform: NodeJS.Platform = process.platform): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  if (!requested) return env;
  const fold = platform === 'win32';
  /** The keys of `env` that are `name` under the platform's rule (on Windows any case of it). */
  const spellings = (name: string) => (fold ? Object.keys(env).filter((k) => k.toUpperCase() === name.toUpperCase()) : [name]);
  const baseValue = (name: string) => {
    if (base[name] !== undefined || !fold) return base[name];
    const key = Object.keys(base).find((k) => k.toUpperCase() === name.toUpperCase());
    return key === undefined ? undefined : base[key];
  };
  const lookup = (name: string) => baseValue(name) ?? '';
  for (const [key, raw] of Object.entries(requested)) {
    if (raw === null || raw === undefined) { for (const k of spellings(key)) delete env[k]; continue; }
    let value: string;
    if (Array.isArray(raw)) {
      if (!raw.every((x) => typeof x === 'string')) throw new EnvError(`'env' list values must hold strings; key '${key}' is incorrect`);
      value = raw.join(pathSep);
    } else if (typeof raw === 'string') value = raw;
    else throw new EnvError(`'env' values must be strings or lists; key '${key}' is incorrect`);
    if ((fold ? key.toUpperCase() : key) === 'PYTHONPATH') value += pathSep + '${PYTHONPATH}';
    for (const k of spellings(key)) delete env[k];
    env[key] = value.replace(VAR_RE, (_m, name: string) => lookup(name));
  }
  return env;
}
