/**
 * The public surface of the `mastro` package: what a `master.config.ts` imports, and the entry
 * points for embedding a master. Keep this file light: a config loads it once per (re)load.
 */
export { defineConfig, worker, workerPool, latent, latentPool, builder, type DefinedConfig } from './config/factories.js';
export { util } from './config/util.js';
export { schedulers } from './schedulers/specs.js';
export { changes } from './changes/specs.js';
export { steps } from './steps/index.js';
/** For steps a config writes itself: `class Deploy extends BaseStep<...>`, a VCS on `SourceStep`. */
export { BaseStep, makeFactory, SourceStep, sourceStepFactory, checkSourceModes, StepConfigError } from './steps/index.js';
export { locks } from './process/locks.js';
export { secrets } from './process/secrets.js';
export { reporters, generators } from './reporters/specs.js';

export type {
  UserConfig, MasterConfig, WorkerSpec, WorkerOptions, WorkerConfig, WorkerPoolOptions, WorkerPoolSpec, WorkerPoolConfig, BuilderOptions, BuilderConfig,
  MsgpackProtocolOptions, WwwOptions, CollapseRequestsFn, CanStartBuildFn, NextWorkerFn, NextBuildFn,
  LatentWorkerOptions, LatentPoolOptions, LatentCommonOptions, LatentProviderSpec, LatentWorkerConfig, LatentPoolConfig,
  DockerProviderOptions, LocalProviderOptions, CommandProviderOptions,
} from './config/types.js';
export type {
  SchedulerSpec, ForceOptions, ChangeSchedulerOptions, SingleBranchOptions, NightlyOptions, PeriodicOptions, TriggerableOptions,
  NightlyTriggerableOptions, TryJobdirOptions,
} from './schedulers/specs.js';
export type { ChangeFilterSpec, FieldMatcher } from './schedulers/change-filter.js';
export type { ChangeSourceSpec, GitPollerOptions } from './changes/specs.js';
export type { ReporterSpec, GeneratorSpec, Report, Reporter, ReporterContext, Generator } from './reporters/base.js';
export { ReporterBase } from './reporters/base.js';
export type { HttpStatusPushOptions } from './reporters/http-status-push.js';
export type { MailNotifierOptions, LookupFn } from './reporters/mail-notifier.js';
export type { BuildStatusOptions } from './reporters/generators/build-status.js';
export type { BuildStartEndOptions } from './reporters/generators/build-start-end.js';
export type { BuildSetStatusOptions } from './reporters/generators/buildset-status.js';
export type { WorkerMissingOptions } from './reporters/generators/worker-missing.js';
export type { MessageFormatterOptions } from './reporters/message/formatter.js';
export type { BuildMessageContext, WorkerMessageContext } from './reporters/message/context.js';
export type { ReportDeliveryOptions } from './reporters/delivery/options.js';
export type { StepFactory, BuildStep, StepRuntime, StepOptions } from './process/step-types.js';
export { ConfigError, type ConfigIssue } from './model/config-errors.js';

/** Loading and checking configs (for tools and tests); lazy so a config's import stays light. */
export async function loadConfig(dir: string) {
  return (await import('./config/load.js')).loadConfig(dir);
}
export async function tryLoadConfig(dir: string) {
  return (await import('./config/load.js')).tryLoadConfig(dir);
}

/** Starts a master from a directory (embedding); lazy so configs importing 'mastro' stay light. */
export async function startMaster(dir: string, opts?: import('./master.js').StartMasterOptions): Promise<import('./master.js').Master> {
  return (await import('./master.js')).startMaster(dir, opts);
}
