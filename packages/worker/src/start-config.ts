/**
 * What `mastro-worker start DIR` runs with: the worker's configuration and its credentials.
 *
 * - A directory made by `create-worker` holds them in worker.json: the password of a named worker,
 *   or a pool worker's pool and token file (read now and before each reconnect, token-file.ts).
 * - With Buildbot's latent-worker variables in the environment (latent-env.ts), a directory without
 *   worker.json, or one set up from them before, is (re)written from them at each start, keeping
 *   the options a user set in it and a generated name; the secret stays in memory only. A directory
 *   made by `create-worker` is never rewritten from the environment (the variables are then
 *   ignored, and the log says so), so a stray `WORKERNAME` in a shell cannot redirect a worker.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'mastro-protocol';
import { ConfigError, readWorkerConfig, writeWorkerConfig, WORKER_CONFIG_FILE, type WorkerConfig } from './config.js';
import { hasLatentEnvironment, readLatentEnvironment, TRIGGER_VARIABLES } from './latent-env.js';
import { readTokenFile } from './token-file.js';
import { generatedWorkerName } from './worker-name.js';

export interface StartCredentials {
  name: string;
  /** The pool joined, or null for a named worker. */
  pool: string | null;
  /** The password or token for the next connection attempt. */
  password: () => string;
  /** Where the secret comes from, for the message of a refused login ("the token in /etc/mastro/pool.token"). */
  source: string;
}

export interface StartSetup {
  config: WorkerConfig;
  credentials: StartCredentials;
  /** Lines for the worker log: what was read from the environment, what was ignored. */
  notes: string[];
}

/** Writes `info/admin` and `info/host` (the given text, or a placeholder when the file is missing). */
export function writeInfoFiles(basedir: string, given: { admin?: string; host?: string } = {}): { admin: string; host: string } {
  mkdirSync(path.join(basedir, 'info'), { recursive: true });
  const admin = path.join(basedir, 'info', 'admin');
  const host = path.join(basedir, 'info', 'host');
  if (!existsSync(admin) || given.admin !== undefined) writeFileSync(admin, `${given.admin ?? 'Your Name Here <admin@youraddress.invalid>'}\n`);
  if (!existsSync(host) || given.host !== undefined) writeFileSync(host, `${given.host ?? `${os.hostname()} (${os.type()} ${os.release()}, Node ${process.version})`}\n`);
  return { admin, host };
}

/**
 * A token file's reader for each connection attempt: a rotated token is used from the next one on;
 * when the file became unreadable the last good token is kept (and the log says why).
 */
function tokenFileReader(file: string, log: Pick<Logger, 'warn'>, platform: NodeJS.Platform): () => string {
  let last = readTokenFile(file, platform);
  return () => {
    try { last = readTokenFile(file, platform); } catch (err) {
      log.warn(`${(err as Error).message}; trying again with the token read before`);
    }
    return last;
  };
}

function storedConfig(basedir: string): Record<string, unknown> | null {
  const file = path.join(basedir, WORKER_CONFIG_FILE);
  if (!existsSync(file)) return null;
  try { return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>; } catch { return {}; }
}

export function prepareStart(basedir: string, env: NodeJS.ProcessEnv, log: Pick<Logger, 'warn'>, platform: NodeJS.Platform = process.platform): StartSetup {
  const stored = storedConfig(basedir);
  const fromEnv = stored === null || stored.fromEnvironment === true;
  if (fromEnv && hasLatentEnvironment(env)) return fromEnvironment(basedir, env, stored, log, platform);
  if (stored?.fromEnvironment === true) {
    throw new ConfigError(`${basedir} was set up from Buildbot's latent-worker variables and keeps no password: set them to start it ` +
      `(BUILDMASTER, BUILDMASTER_PORT, WORKERNAME, WORKERPASS; for a pool MASTRO_WORKER_POOL and WORKERPASS or MASTRO_WORKER_TOKEN_FILE)`);
  }
  const config = readWorkerConfig(basedir);
  const notes: string[] = [];
  const present = TRIGGER_VARIABLES.filter((v) => env[v]);
  if (present.length) notes.push(`${present.join(', ')} set in the environment but ignored: ${basedir} holds a worker made by create-worker (${WORKER_CONFIG_FILE})`);
  if (config.pool !== undefined) {
    return { config, notes, credentials: { name: config.name, pool: config.pool, password: tokenFileReader(config.tokenFile!, log, platform), source: `the token in ${config.tokenFile}` } };
  }
  const password = config.password!;
  return { config, notes, credentials: { name: config.name, pool: null, password: () => password, source: `the worker name and password in ${WORKER_CONFIG_FILE}` } };
}

function fromEnvironment(basedir: string, env: NodeJS.ProcessEnv, stored: Record<string, unknown> | null, log: Pick<Logger, 'warn'>, platform: NodeJS.Platform): StartSetup {
  const latent = readLatentEnvironment(env);
  let previous: WorkerConfig | null = null;
  if (stored !== null) {
    try { previous = readWorkerConfig(basedir); } catch { previous = null; }
  }
  // A pool worker without WORKERNAME keeps the name this directory got the first time.
  const name = latent.name ?? (previous && previous.pool === (latent.pool ?? undefined) ? previous.name : generatedWorkerName(os.hostname()));
  const { password: _p, pool: _pool, tokenFile: _t, ...options } = previous ?? ({} as Partial<WorkerConfig>);
  mkdirSync(basedir, { recursive: true });
  const config = writeWorkerConfig(basedir, {
    ...options, master: latent.master, name, tags: latent.tags, fromEnvironment: true,
    ...(latent.pool !== null ? { pool: latent.pool } : {}), ...(latent.tokenFile !== null ? { tokenFile: path.resolve(latent.tokenFile) } : {}),
  });
  writeInfoFiles(basedir);
  const notes = [`set up from the environment: ${latent.summary}`];
  if (latent.tokenFile !== null) {
    return { config, notes, credentials: { name, pool: latent.pool, password: tokenFileReader(config.tokenFile!, log, platform), source: `the token in ${config.tokenFile} (MASTRO_WORKER_TOKEN_FILE)` } };
  }
  const secret = latent.secret!;
  return {
    config, notes,
    credentials: { name, pool: latent.pool, password: () => secret, source: latent.pool !== null ? 'the token in WORKERPASS' : 'WORKERNAME and WORKERPASS' },
  };
}
