/**
 * `BASEDIR/worker.json`, written by `create-worker` (mode 0600: it may hold the password) and read by
 * `start`. Unknown keys are kept; every option has the default of WorkerOptions when absent.
 *
 * A worker is one of three kinds, told apart by the keys present:
 * - named (`create-worker DIR MASTER NAME PASSWORD`): `password`;
 * - pool (`create-worker DIR MASTER --pool P --token-file F`): `pool` and `tokenFile`, the path of the
 *   token, never the token itself (token-file.ts reads it at each start);
 * - from the environment (`start DIR` with Buildbot's latent-worker variables, latent-env.ts):
 *   `fromEnvironment: true`, and no secret at all: it is read from the environment at each start.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkTags, poolNameProblem, TagError, workerUrl } from 'mastro-protocol';
import { DEFAULT_MAX_UPDATE_COST, DEFAULT_MAX_UPDATES_IN_FLIGHT } from './output/update-window.js';
import { DEFAULT_UPDATE_LINGER_MS } from './output/update-buffer.js';
import { ROTATION_DEFAULTS } from 'mastro-protocol/rotating-log-file';

export const WORKER_CONFIG_FILE = 'worker.json';

export interface WorkerConfig {
  /** Normalised WebSocket URL of the master. */
  master: string;
  name: string;
  /** Named workers: the password. */
  password?: string;
  /** Pool workers: the pool joined (PROTOCOL.md §1.1). */
  pool?: string;
  /** Pool workers: absolute path of the file holding the pool's token. */
  tokenFile?: string;
  /** Set up from Buildbot's latent-worker variables: name, master and secret come from the environment at each start. */
  fromEnvironment?: boolean;
  /** The worker's own tags (`--tags`), reported in its worker info (PROTOCOL.md §3.5). */
  tags: string[];
  encoding: 'msgpack' | 'json';
  /** Seconds between liveness pings to the master (Buildbot's --keepalive; 0 disables). */
  keepalive: number;
  /** Largest reconnect delay, seconds (Buildbot's --maxdelay). */
  maxdelay: number;
  allowPathsOutsideBasedir: boolean;
  /** Seconds between SIGTERM and SIGKILL when a command is interrupted. */
  killGrace: number;
  umask: number | null;
  /** `update`s of one command awaiting acknowledgement before output is merged and held (WorkerOptions.maxUpdatesInFlight). */
  maxUpdatesInFlight: number;
  /** Largest merged update while the master is behind, Buildbot cost units ≈ bytes (WorkerOptions.maxUpdateSize). */
  maxUpdateSize: number;
  /** Ms a full update waits to grow, with a mastro master (WorkerOptions.updateLingerMs; 0: never). */
  updateLingerMs: number;
  /** Bytes after which worker.log is rotated (create-worker --log-size, Buildbot's rotateLength); null: never. */
  rotateLength: number | null;
  /** Rotated worker.log files kept (create-worker --log-count, Buildbot's maxRotatedFiles); null: all. */
  maxRotatedFiles: number | null;
}

export const CONFIG_DEFAULTS: Omit<WorkerConfig, 'master' | 'name' | 'password' | 'pool' | 'tokenFile' | 'fromEnvironment'> = {
  tags: [], encoding: 'msgpack', keepalive: 60, maxdelay: 30, allowPathsOutsideBasedir: false, killGrace: 5, umask: null,
  maxUpdatesInFlight: DEFAULT_MAX_UPDATES_IN_FLIGHT, maxUpdateSize: DEFAULT_MAX_UPDATE_COST, updateLingerMs: DEFAULT_UPDATE_LINGER_MS,
  // buildbot-worker create-worker's defaults (--log-size 10000000, --log-count 10).
  rotateLength: ROTATION_DEFAULTS.rotateLength, maxRotatedFiles: ROTATION_DEFAULTS.maxRotatedFiles,
};

export class ConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

export function writeWorkerConfig(basedir: string, config: Omit<WorkerConfig, keyof typeof CONFIG_DEFAULTS> & Partial<WorkerConfig>): WorkerConfig {
  const full: WorkerConfig = { ...CONFIG_DEFAULTS, ...config, master: workerUrl(config.master) };
  const file = path.join(basedir, WORKER_CONFIG_FILE);
  writeFileSync(file, JSON.stringify(full, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return full;
}

export function readWorkerConfig(basedir: string): WorkerConfig {
  const file = path.join(basedir, WORKER_CONFIG_FILE);
  if (!existsSync(basedir)) throw new ConfigError(`worker directory ${basedir} does not exist; create it with: mastro-worker create-worker ${basedir} MASTER NAME PASSWORD`);
  if (!existsSync(file)) throw new ConfigError(`${file} is missing: ${basedir} is not a worker directory; create it with: mastro-worker create-worker ${basedir} MASTER NAME PASSWORD`);
  let parsed: Record<string, unknown>;
  try { parsed = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>; } catch (err) {
    throw new ConfigError(`${file} is not valid JSON (${(err as Error).message}); fix it or re-run create-worker`);
  }
  for (const key of ['master', 'name'] as const) {
    if (typeof parsed[key] !== 'string' || !parsed[key]) throw new ConfigError(`${file}: '${key}' must be a non-empty string`);
  }
  const config = { ...CONFIG_DEFAULTS, ...parsed } as WorkerConfig;
  checkKind(file, config);
  if (!Array.isArray(config.tags)) throw new ConfigError(`${file}: 'tags' must be a list of strings such as ["docker", "gpu=a100"]`);
  try { config.tags = checkTags(config.tags); } catch (err) {
    if (err instanceof TagError) throw new ConfigError(`${file}: 'tags': ${err.message}`);
    throw err;
  }
  if (config.encoding !== 'msgpack' && config.encoding !== 'json') throw new ConfigError(`${file}: 'encoding' must be "msgpack" or "json"`);
  for (const key of ['keepalive', 'maxdelay', 'killGrace'] as const) {
    if (typeof config[key] !== 'number' || config[key] < 0) throw new ConfigError(`${file}: '${key}' must be a number of seconds >= 0`);
  }
  for (const key of ['maxUpdatesInFlight', 'maxUpdateSize'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new ConfigError(`${file}: '${key}' must be an integer >= 1 (default ${CONFIG_DEFAULTS[key]})`);
  }
  for (const key of ['rotateLength', 'maxRotatedFiles'] as const) {
    const v = config[key];
    if (v !== null && (!Number.isInteger(v) || v < (key === 'rotateLength' ? 1 : 0))) {
      throw new ConfigError(`${file}: '${key}' must be a whole number ${key === 'rotateLength' ? '>= 1 (bytes)' : '>= 0'} or null (default ${CONFIG_DEFAULTS[key]})`);
    }
  }
  if (!Number.isInteger(config.updateLingerMs) || config.updateLingerMs < 0) {
    throw new ConfigError(`${file}: 'updateLingerMs' must be an integer number of milliseconds >= 0 (default ${CONFIG_DEFAULTS.updateLingerMs})`);
  }
  return config;
}

/** A worker.json is a named, a pool or an environment-started worker's, never a mix (see the header). */
function checkKind(file: string, c: WorkerConfig): void {
  const nonEmpty = (v: unknown) => typeof v === 'string' && v !== '';
  if (c.fromEnvironment === true) {
    if (c.password !== undefined) throw new ConfigError(`${file}: a worker set up from the environment ('fromEnvironment') keeps no 'password'; remove it`);
    return;
  }
  if (c.pool !== undefined) {
    const problem = typeof c.pool === 'string' ? poolNameProblem('pool name', c.pool) : `'pool' must be a string`;
    if (problem) throw new ConfigError(`${file}: ${problem}`);
    const nameProblem = poolNameProblem('worker name', c.name);
    if (nameProblem) throw new ConfigError(`${file}: ${nameProblem}`);
    if (!nonEmpty(c.tokenFile) || !path.isAbsolute(c.tokenFile!)) throw new ConfigError(`${file}: a pool worker needs 'tokenFile', the absolute path of the file holding the pool's token`);
    if (c.password !== undefined) throw new ConfigError(`${file}: a pool worker authenticates with its token file, not a 'password'; remove 'password'`);
    return;
  }
  if (!nonEmpty(c.password)) {
    throw new ConfigError(`${file}: 'password' must be a non-empty string (or, for a pool worker, give 'pool' and 'tokenFile'); re-run create-worker`);
  }
}
