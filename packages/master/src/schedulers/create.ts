/** Turns a normalised scheduler spec into a running scheduler (the master calls start/stop). */
import type { SchedulerServices } from './base.js';
import { SCHEDULER_KIND_NAMES, schedulerKindOf, type AnyScheduler, type SchedulerSpec } from './registry.js';

export function createScheduler(spec: SchedulerSpec, services: SchedulerServices): AnyScheduler {
  const kind = schedulerKindOf(spec.kind);
  if (!kind) throw new Error(`unknown scheduler kind '${(spec as { kind: string }).kind}'; kinds are: ${SCHEDULER_KIND_NAMES.join(', ')}`);
  return kind.create(spec, services);
}

export type { AnyScheduler } from './registry.js';
export { AnyBranchScheduler } from './any-branch.js';
export { SingleBranchScheduler } from './single-branch.js';
export { ForceScheduler } from './force.js';
export { TriggerableScheduler } from './triggerable.js';
export { PeriodicScheduler } from './periodic.js';
export { NightlyScheduler } from './nightly.js';
export { DependentScheduler } from './dependent.js';
export { TryScheduler } from './try.js';
export { UpstreamScheduler } from './upstream.js';
export { NightlyTriggerableScheduler } from './nightly-triggerable.js';
export { TryJobdirScheduler } from './try-jobdir.js';
export type { SchedulerServices } from './base.js';
export { ForceParamError } from './force-params.js';
