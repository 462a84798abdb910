/** Turns a normalised scheduler spec into a running scheduler (the master calls start/stop). */
import type { SchedulerServices } from './base.js';
import { AnyBranchScheduler } from './any-branch.js';
import { SingleBranchScheduler } from './single-branch.js';
import { ForceScheduler } from './force.js';
import { TriggerableScheduler } from './triggerable.js';
import { PeriodicScheduler } from './periodic.js';
import { NightlyScheduler } from './nightly.js';
import type { SchedulerSpec } from './specs.js';

export type AnyScheduler = AnyBranchScheduler | SingleBranchScheduler | ForceScheduler | TriggerableScheduler | PeriodicScheduler | NightlyScheduler;

export function createScheduler(spec: SchedulerSpec, services: SchedulerServices): AnyScheduler {
  switch (spec.kind) {
    case 'anyBranch': return new AnyBranchScheduler(spec, services);
    case 'singleBranch': return new SingleBranchScheduler(spec, services);
    case 'force': return new ForceScheduler(spec, services);
    case 'triggerable': return new TriggerableScheduler(spec, services);
    case 'periodic': return new PeriodicScheduler(spec, services);
    case 'nightly': return new NightlyScheduler(spec, services);
    default: throw new Error(`the '${spec.kind}' scheduler is not implemented yet (planned in issue 4)`);
  }
}

export { AnyBranchScheduler, SingleBranchScheduler, ForceScheduler, TriggerableScheduler, PeriodicScheduler, NightlyScheduler };
export type { SchedulerServices } from './base.js';
export { ForceParamError } from './force-params.js';
