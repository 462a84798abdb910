/**
 * What `npm exec`, `npx` and `npm run` add to the environment of the program they start, taken out
 * again so a worker started that way gives its builds the environment of the shell that started npm.
 * Without this every build's environment (and the `environment:` header of its logs) carried npm's
 * own settings: about 30 `npm_config_*` / `npm_lifecycle_*` / `npm_package_*` variables, `INIT_CWD`,
 * `NODE`, and the checkout's `node_modules/.bin` directories in front of PATH, so a build's `tsc` or
 * `eslint` would silently be the worker checkout's.
 *
 * What npm 11 sets (`@npmcli/config` set-envs.js, `@npmcli/run-script`, `lib/npm.js`):
 * - `npm_*` (config, lifecycle, package fields, `npm_execpath`, `npm_node_execpath`, `npm_command`),
 *   `INIT_CWD`, `NODE` (= `npm_node_execpath`), `COLOR` ('0'/'1');
 * - `EDITOR`, when it was unset, from `VISUAL` or else `vi` (`notepad.exe` on Windows);
 * - PATH: its bin directories, each ancestor's `node_modules/.bin`, then `.../node-gyp-bin`, then
 *   the PATH it was given. pnpm and yarn set `npm_*` and a `node-gyp-bin` entry the same way.
 *
 * Only a process started through npm (it sets `npm_lifecycle_event` or `npm_execpath`) is cleaned: a
 * worker started directly keeps variables its owner set on purpose, `npm_config_registry` included.
 * Under npm a variable the user set is indistinguishable from npm's and goes too; the worker logs the
 * names it removed. Builds that need one set it in the step's `env`.
 */
export interface NpmCleanup {
  /** Names of the variables removed, sorted. */
  removed: string[];
  /** How many PATH entries npm had put in front (0 when PATH was left alone). */
  pathEntriesRemoved: number;
}

/** True when the environment is that of a program npm (or npx, pnpm, yarn) started. */
export function startedThroughNpm(env: NodeJS.ProcessEnv): boolean {
  return env.npm_lifecycle_event !== undefined || env.npm_execpath !== undefined;
}

const NODE_GYP_BIN = /(^|[\\/])node-gyp-bin[\\/]*$/i;

/** The PATH npm was given: what follows its last `node-gyp-bin` entry (the last one, for npm inside npm). */
function pathBeforeNpm(value: string, delimiter: string): { path: string; removed: number } | null {
  const entries = value.split(delimiter);
  let cut = -1;
  entries.forEach((e, i) => { if (NODE_GYP_BIN.test(e)) cut = i; });
  if (cut < 0) return null;
  return { path: entries.slice(cut + 1).join(delimiter), removed: cut + 1 };
}

/**
 * Removes from `env` (in place) what npm added when it started this process; does nothing for a
 * process npm did not start.
 */
export function removeNpmVariables(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): NpmCleanup {
  if (!startedThroughNpm(env)) return { removed: [], pathEntriesRemoved: 0 };
  const removed: string[] = [];
  const drop = (name: string) => { if (env[name] !== undefined) { delete env[name]; removed.push(name); } };
  const nodeExecpath = env.npm_node_execpath;
  // The default npm gives `editor` when EDITOR is unset; a user's own EDITOR is re-exported unchanged.
  const inventedEditor = env.VISUAL ?? (platform === 'win32' ? `${env.SYSTEMROOT ?? ''}\\notepad.exe` : 'vi');
  for (const name of Object.keys(env)) if (/^npm_/i.test(name)) drop(name);
  drop('INIT_CWD');
  drop('COLOR');
  if (env.NODE !== undefined && env.NODE === nodeExecpath) drop('NODE');
  if (env.EDITOR === inventedEditor) drop('EDITOR');
  let pathEntriesRemoved = 0;
  // Windows spells it Path (npm rewrites every casing).
  for (const name of Object.keys(env).filter((k) => /^path$/i.test(k))) {
    const before = pathBeforeNpm(env[name] ?? '', platform === 'win32' ? ';' : ':');
    if (!before) continue;
    env[name] = before.path;
    pathEntriesRemoved = Math.max(pathEntriesRemoved, before.removed);
  }
  return { removed: removed.sort(), pathEntriesRemoved };
}
