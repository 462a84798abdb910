/** The master's worker connections: the server workers attach to and the RemoteWorker API steps use. */
export { WorkerManager, WorkerServer, type AnyWorker, type ManagedWorker, type WorkerManagerOptions, type WorkerManagerEventMap } from './manager.js';
export { ConnectedWorker } from './connected-worker.js';
export { PbWorker } from './pb/pb-worker.js';
export type { BuilderSpec } from './builder-dirs.js';
export type { WorkerCredentials } from './credentials.js';
export type { LoginRateLimitOptions } from './login-rate-limiter.js';
export { DEFAULT_WORKER_PORT, DEFAULT_WORKER_SETTINGS, type PbServerOptions, type WorkerServerOptions, type WorkerSettings } from './options.js';
export type * from './types.js';
export { MIN_POOL_TOKEN_LENGTH, MAX_TOKENS_PER_POOL, type ManagedPool } from './pool-auth.js';
