/**
 * The environment of a shell command, with Buildbot's rules: list values are joined with the
 * platform's path separator, `${NAME}` is replaced by the worker's own value of NAME (empty when
 * unset), a null value removes the variable, and PYTHONPATH is extended rather than replaced.
 */
import path from 'node:path';

export class EnvError extends Error {
  constructor(message: string) { super(message); this.name = 'EnvError'; }
}

const VAR_RE = /\$\{([0-9a-zA-Z_]*)\}/g;

export function buildEnvironment(requested: Record<string, unknown> | null | undefined, base: NodeJS.ProcessEnv = process.env,
  pathSep: string = path.delimiter): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  if (!requested) return env;
  const lookup = (name: string) => base[name] ?? '';
  for (const [key, raw] of Object.entries(requested)) {
    if (raw === null || raw === undefined) { delete env[key]; continue; }
    let value: string;
    if (Array.isArray(raw)) {
      if (!raw.every((x) => typeof x === 'string')) throw new EnvError(`'env' list values must hold strings; key '${key}' is incorrect`);
      value = raw.join(pathSep);
    } else if (typeof raw === 'string') value = raw;
    else throw new EnvError(`'env' values must be strings or lists; key '${key}' is incorrect`);
    if (key === 'PYTHONPATH') value += pathSep + '${PYTHONPATH}';
    env[key] = value.replace(VAR_RE, (_m, name: string) => lookup(name));
  }
  return env;
}
