/**
 * Starting from Buildbot's latent-worker environment, so a container needs no per-instance
 * configuration. Buildbot's DockerLatentWorker (and mastro's latent.docker) start a container with
 * `BUILDMASTER` (host), `BUILDMASTER_PORT`, `BUILDMASTER_PROTOCOL`, `WORKERNAME` and `WORKERPASS`;
 * Buildbot's image runs `worker/docker/buildbot.tac`, which reads them with these defaults
 * (localhost, 9989, pb, docker) and deletes the variables matching `WORKER_ENVIRONMENT_BLACKLIST`
 * (default `WORKERPASS`, fnmatch patterns separated by spaces) from its environment so builds never
 * see the password. `mastro-worker start DIR` does the same when they are set (cli.ts).
 *
 * mastro adds three for pools: `MASTRO_WORKER_POOL` joins that pool (the token in `WORKERPASS`
 * or in the file `MASTRO_WORKER_TOKEN_FILE`; `WORKERNAME` optional, else a name made from the host
 * name), and `MASTRO_WORKER_TAGS` (`k=v,flag`) for any worker.
 */
import { parseTagList, poolNameProblem, TagError } from 'mastro-protocol';
import { ConfigError } from './config.js';
import { masterUrl, MasterAddressError } from './master-address.js';

/** The variables that make `start` set the worker up from the environment (any one of them). */
export const TRIGGER_VARIABLES = ['BUILDMASTER', 'WORKERNAME', 'WORKERPASS', 'MASTRO_WORKER_POOL'] as const;

/** Protocol names `BUILDMASTER_PROTOCOL` may give for what mastro-worker speaks. */
const MSGPACK_PROTOCOLS = ['msgpack_experimental_v7', 'msgpack'];

export interface LatentEnvironment {
  /** WebSocket URL of the master. */
  master: string;
  /** From WORKERNAME; null for a pool worker without one (the directory's stored or a generated name is used). */
  name: string | null;
  /** The password, or a pool's token, from WORKERPASS (null when a token file is named instead). */
  secret: string | null;
  pool: string | null;
  tokenFile: string | null;
  tags: string[];
  /** What was read, for the log (never the secret). */
  summary: string;
}

const set = (env: NodeJS.ProcessEnv, name: string) => env[name] !== undefined && env[name] !== '';

/** Whether the environment asks for a worker set up from it. */
export function hasLatentEnvironment(env: NodeJS.ProcessEnv): boolean {
  return TRIGGER_VARIABLES.some((v) => set(env, v));
}

/** Reads the latent-worker variables; throws ConfigError naming the variable to fix. */
export function readLatentEnvironment(env: NodeJS.ProcessEnv): LatentEnvironment {
  const protocol = env.BUILDMASTER_PROTOCOL || undefined;
  if (protocol !== undefined && !MSGPACK_PROTOCOLS.includes(protocol)) {
    throw new ConfigError(protocol === 'pb'
      ? `BUILDMASTER_PROTOCOL=pb, but mastro-worker speaks Buildbot's msgpack_experimental_v7 protocol (over WebSocket), not PB: ` +
        `set BUILDMASTER_PROTOCOL=msgpack_experimental_v7 and BUILDMASTER_PORT to the master's msgpack port ` +
        `(Buildbot: DockerLatentWorker(..., master_protocol='msgpack_experimental_v7'); mastro's latent.docker does it)`
      : `BUILDMASTER_PROTOCOL=${protocol} is not a protocol mastro-worker speaks; set it to msgpack_experimental_v7 (or leave it unset)`);
  }
  const host = env.BUILDMASTER || 'localhost';
  const port = env.BUILDMASTER_PORT || undefined;
  if (port !== undefined && !/^\d+$/.test(port)) throw new ConfigError(`BUILDMASTER_PORT=${port} is not a port number; set it to the master's worker port (default 9989)`);
  let master: string;
  try {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
      if (port !== undefined) throw new ConfigError(`BUILDMASTER=${host} is a URL, which carries its own port, and BUILDMASTER_PORT=${port} is set too; unset one of them`);
      master = masterUrl(host);
    } else {
      // An IPv6 literal (several colons, no brackets) gets its brackets; "host:port" in BUILDMASTER alone is taken as it is.
      const h = !host.startsWith('[') && host.split(':').length > 2 ? `[${host}]` : host;
      master = masterUrl(port === undefined ? h : `${h}:${port}`);
    }
  } catch (err) {
    if (err instanceof MasterAddressError) {
      throw new ConfigError(`BUILDMASTER=${host}${port === undefined ? '' : ` BUILDMASTER_PORT=${port}`} names no master: ${err.message}`);
    }
    throw err;
  }
  const pool = env.MASTRO_WORKER_POOL || null;
  if (pool !== null) {
    const problem = poolNameProblem('pool name', pool);
    if (problem) throw new ConfigError(`MASTRO_WORKER_POOL: ${problem}`);
  }
  let name = env.WORKERNAME || null;
  if (name === null && pool === null) name = 'docker'; // Buildbot's default in buildbot.tac
  if (name !== null) {
    const problem = pool !== null ? poolNameProblem('worker name', name) : name.includes(':') ? `worker name "${name}" may not contain ':'` : null;
    if (problem) throw new ConfigError(`WORKERNAME: ${problem}`);
  }
  const tokenFile = pool !== null ? env.MASTRO_WORKER_TOKEN_FILE || null : null;
  const secret = env.WORKERPASS || null;
  if (secret === null && tokenFile === null) {
    throw new ConfigError(pool !== null
      ? `MASTRO_WORKER_POOL=${pool} is set but no token: set WORKERPASS to the pool's token, or MASTRO_WORKER_TOKEN_FILE to a file holding it`
      : `WORKERPASS is not set: a worker started from Buildbot's latent-worker variables (BUILDMASTER, BUILDMASTER_PORT, WORKERNAME) needs its password in WORKERPASS`);
  }
  let tags: string[] = [];
  try { tags = parseTagList(env.MASTRO_WORKER_TAGS ?? ''); } catch (err) {
    if (err instanceof TagError) throw new ConfigError(`MASTRO_WORKER_TAGS: ${err.message}`);
    throw err;
  }
  const summary = [`BUILDMASTER=${host}`, `BUILDMASTER_PORT=${port ?? '(unset: 9989)'}`, `BUILDMASTER_PROTOCOL=${protocol ?? '(unset)'}`,
    `WORKERNAME=${env.WORKERNAME || '(unset)'}`, `WORKERPASS=${secret === null ? '(unset)' : '(set, not shown)'}`,
    ...(pool !== null ? [`MASTRO_WORKER_POOL=${pool}`, `MASTRO_WORKER_TOKEN_FILE=${tokenFile ?? '(unset)'}`] : []),
    ...(tags.length ? [`MASTRO_WORKER_TAGS=${tags.join(',')}`] : [])].join(' ');
  return { master, name, secret, pool, tokenFile, tags, summary };
}

/** One `WORKER_ENVIRONMENT_BLACKLIST` pattern as a RegExp: `*` and `?` as in fnmatch, the rest literal. */
function patternRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

/**
 * Deletes from `env` (in place) the variables builds must not see, as buildbot.tac does: those
 * matching a pattern of `WORKER_ENVIRONMENT_BLACKLIST` (default `WORKERPASS`), and WORKERPASS in
 * any case (a blacklist that forgets it would hand the password to every build). Returns the names
 * removed and the patterns that could not be honoured (`[...]` classes), for the log.
 */
export function scrubEnvironment(env: NodeJS.ProcessEnv): { removed: string[]; unsupported: string[] } {
  const patterns = (env.WORKER_ENVIRONMENT_BLACKLIST ?? 'WORKERPASS').split(/\s+/).filter((p) => p !== '');
  const unsupported = patterns.filter((p) => p.includes('['));
  const res = [...patterns.filter((p) => !p.includes('[')), 'WORKERPASS'].map(patternRegExp);
  const removed = Object.keys(env).filter((name) => res.some((re) => re.test(name)));
  for (const name of removed) delete env[name];
  return { removed, unsupported };
}
