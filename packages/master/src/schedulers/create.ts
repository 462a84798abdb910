/** Turns a normalised scheduler spec into a running scheduler (the master calls start/stop). */
import type { SchedulerServices } from './base.js';
import { AnyBranchScheduler } from './any-branch.js';
import { SingleBranchScheduler } from './single-branch.js';
import { ForceScheduler } from './force.js';
import { TriggerableScheduler } from './triggerable.js';
import { PeriodicScheduler } from './periodic.js';
import { NightlyScheduler } from './nightly.js';
import { DependentScheduler } from './dependent.js';
import { TryScheduler } from './try.js';
import { UpstreamScheduler } from './upstream.js';
import { NightlyTriggerableScheduler } from './nightly-triggerable.js';
import { TryJobdirScheduler } from './try-jobdir.js';
import type { SchedulerSpec } from './specs.js';

export type AnyScheduler = AnyBranchScheduler | SingleBranchScheduler | ForceScheduler | TriggerableScheduler | PeriodicScheduler | NightlyScheduler
  | DependentScheduler | TryScheduler | UpstreamScheduler | NightlyTriggerableScheduler | TryJobdirScheduler;

export function createScheduler(spec: SchedulerSpec, services: SchedulerServices): AnyScheduler {
  switch (spec.kind) {
    case 'anyBranch': return new AnyBranchScheduler(spec, services);
    case 'singleBranch': return new SingleBranchScheduler(spec, services);
    case 'force': return new ForceScheduler(spec, services);
    case 'triggerable': return new TriggerableScheduler(spec, services);
    case 'periodic': return new PeriodicScheduler(spec, services);
    case 'nightly': return new NightlyScheduler(spec, services);
    case 'dependent': return new DependentScheduler(spec, services);
    case 'tryUserpass': return new TryScheduler(spec, services);
    case 'upstream': return new UpstreamScheduler(spec, services);
    case 'nightlyTriggerable': return new NightlyTriggerableScheduler(spec, services);
    case 'tryJobdir': return new TryJobdirScheduler(spec, services);
    default: throw new Error(`unknown scheduler kind '${(spec as { kind: string }).kind}'`);
  }
}

export { AnyBranchScheduler, SingleBranchScheduler, ForceScheduler, TriggerableScheduler, PeriodicScheduler, NightlyScheduler, DependentScheduler, TryScheduler, UpstreamScheduler, NightlyTriggerableScheduler, TryJobdirScheduler };
export type { SchedulerServices } from './base.js';
export { ForceParamError } from './force-params.js';
