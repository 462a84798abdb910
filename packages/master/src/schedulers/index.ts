/** Schedulers: the config factories (`schedulers.*`), their kinds, and what the master runs from them. */
export { schedulers, type SchedulerSpec } from './specs.js';
export { SCHEDULER_KINDS } from './registry.js';
export { schedulerKind, schedulerSpec, type SchedulerKind } from './kind.js';
export { BaseScheduler } from './base.js';
export { createScheduler, type AnyScheduler, type SchedulerServices, ForceParamError } from './create.js';
export { AnyBranchScheduler, SingleBranchScheduler, ForceScheduler, TriggerableScheduler, PeriodicScheduler, NightlyScheduler, DependentScheduler, TryScheduler, UpstreamScheduler, NightlyTriggerableScheduler, TryJobdirScheduler } from './create.js';
export type { TryRequest, TryStatus, TrySubmitted } from './try-protocol.js';
export { parseJobFile, formatJobFile, TryJobFileError, type TryJobFile } from './try-jobfile.js';
