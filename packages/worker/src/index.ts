/** mastro-worker: a Buildbot-compatible build worker. The programmatic surface is deliberate and small. */
export { startWorker } from './worker.js';
export type { WorkerOptions, RunningWorker } from './worker.js';
// The reconnect backoff is mastro-protocol's (the master's reporters use the same rule).
export { backoffDelay, type BackoffOptions } from 'mastro-protocol';
export { commandRegistry, commandVersions, COMMAND_VERSION } from './commands/registry.js';
export type { CommandDefinition, CommandContext, WorkerCommand } from './commands/types.js';
export { readWorkerConfig, writeWorkerConfig, WORKER_CONFIG_FILE } from './config.js';
export type { WorkerConfig } from './config.js';
export { WORKER_VERSION } from './version.js';
