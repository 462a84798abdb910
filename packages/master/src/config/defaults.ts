import { HTTP_CONNECTION_DEFAULTS } from '../net/connection-limits.js';

/** Every default of the master config, in one place (documented in types.ts and the JSON Schema). */
export const DEFAULTS = {
  title: 'mastro',
  titleURL: 'https://github.com/mastro-ci/mastro',
  dbUrl: 'sqlite:state.sqlite',
  dbOutageBufferSize: 64 * 1024 * 1024,
  dbOutageTimeout: 3600,
  workerPort: 9989,
  httpPort: 8010,
  bodyLimit: 1024 * 1024,
  /** www.headersTimeoutMs, requestTimeoutMs, idleTimeoutMs, maxConnectionsPerAddress (the worker port's are in workers/options.ts). */
  wwwConnections: HTTP_CONNECTION_DEFAULTS,
  logMaxSize: 64 * 1024 * 1024,
  logMaxTailSize: 1024 * 1024,
  collapseRequests: true,
  buildCacheSize: 15,
  stopGracePeriod: 300,
  /** janitor.interval (s) and janitor.batchSize (logs per transaction). */
  janitorInterval: 86400,
  janitorBatchSize: 1000,
  workerMissingTimeout: 3600,
  /** workerPool({ maxWorkers }): bounds what one token can attach (each worker costs memory and a database row). */
  poolMaxWorkers: 1000,
  /** workerPool({ forgetAfter }), seconds. */
  poolForgetAfter: 86400,
  builderPriority: 0,
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
