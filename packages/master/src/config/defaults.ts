/**
 * The defaults of the master config the normaliser fills in, taken from the option declarations
 * (options/*.ts), where each option is declared once with its type, default and doc.
 */
import { LOG_OPTION_DEFAULTS } from '../options/logs.js';
import {
  BUILDER_OPTION_DEFAULTS, DB_OPTION_DEFAULTS, JANITOR_OPTION_DEFAULTS, MASTER_OPTION_DEFAULTS, MSGPACK_OPTION_DEFAULTS, POOL_OPTION_DEFAULTS, WORKER_OPTION_DEFAULTS,
} from '../options/master.js';
import { WWW_OPTION_DEFAULTS } from '../options/www.js';

export const DEFAULTS = {
  title: MASTER_OPTION_DEFAULTS.title,
  titleURL: MASTER_OPTION_DEFAULTS.titleURL,
  dbUrl: DB_OPTION_DEFAULTS.url,
  dbOutageBufferSize: DB_OPTION_DEFAULTS.outageBufferSize,
  dbOutageTimeout: DB_OPTION_DEFAULTS.outageTimeout,
  workerPort: MSGPACK_OPTION_DEFAULTS.port,
  httpPort: WWW_OPTION_DEFAULTS.port,
  bodyLimit: WWW_OPTION_DEFAULTS.bodyLimit,
  /** www.headersTimeoutMs, requestTimeoutMs, idleTimeoutMs, maxConnectionsPerAddress (the worker port's are in workers/options.ts). */
  wwwConnections: {
    headersTimeoutMs: WWW_OPTION_DEFAULTS.headersTimeoutMs,
    requestTimeoutMs: WWW_OPTION_DEFAULTS.requestTimeoutMs,
    idleTimeoutMs: WWW_OPTION_DEFAULTS.idleTimeoutMs,
    maxConnectionsPerAddress: WWW_OPTION_DEFAULTS.maxConnectionsPerAddress,
  },
  ...LOG_OPTION_DEFAULTS,
  collapseRequests: MASTER_OPTION_DEFAULTS.collapseRequests,
  buildCacheSize: MASTER_OPTION_DEFAULTS.buildCacheSize,
  stopGracePeriod: MASTER_OPTION_DEFAULTS.stopGracePeriod,
  /** janitor.interval (s) and janitor.batchSize (logs per transaction). */
  janitorInterval: JANITOR_OPTION_DEFAULTS.interval,
  janitorBatchSize: JANITOR_OPTION_DEFAULTS.batchSize,
  workerMissingTimeout: WORKER_OPTION_DEFAULTS.missingTimeout,
  /** workerPool({ maxWorkers }): bounds what one token can attach (each worker costs memory and a database row). */
  poolMaxWorkers: POOL_OPTION_DEFAULTS.maxWorkers,
  /** workerPool({ forgetAfter }), seconds. */
  poolForgetAfter: POOL_OPTION_DEFAULTS.forgetAfter,
  builderPriority: BUILDER_OPTION_DEFAULTS.priority,
  /** latent({ idleTimeout }), seconds; latent.docker's is 0 (Buildbot's DockerLatentWorker: a container per build). */
  latentIdleTimeout: 600,
  latentDockerIdleTimeout: 0,
  /** latent({ startTimeout }), seconds until the instance's worker must have attached. */
  latentStartTimeout: 600,
  /** latent({ failureBackoff }), seconds (Buildbot's quarantine: 10 s doubling up to an hour). */
  latentBackoffInitial: 10,
  latentBackoffMax: 3600,
} as const;

/** Config file names looked for in a master directory, in this order. */
export const CONFIG_FILE_NAMES = [
  'master.config.ts',
  'master.config.mts',
  'master.config.js',
  'master.config.mjs',
  'master.config.yaml',
  'master.config.yml',
] as const;
