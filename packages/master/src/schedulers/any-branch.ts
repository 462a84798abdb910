/** Builds changes on every branch that passes the filter; each branch has its own stable timer. */
import type { ChangeResource } from '../data/types.js';
import { ChangeScheduler } from './change-scheduler.js';
import type { ChangeSchedulerOptions } from './specs.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { CHANGE_BASED_KEYS, checkChangeBased } from './checks.js';

export class AnyBranchScheduler extends ChangeScheduler {
  protected readonly buildbotClass = 'AnyBranchScheduler';
  protected treeKey(c: ChangeResource): string {
    return JSON.stringify([c.codebase ?? '', c.project ?? '', c.repository ?? '', c.branch ?? null]);
  }
}

/** `schedulers.anyBranch`: builds changes of every branch its change filter lets through. */
export const anyBranchKind = schedulerKind({
  factory: (o: ChangeSchedulerOptions) => schedulerSpec({ ...o, kind: 'anyBranch' as const }),
  keys: CHANGE_BASED_KEYS,
  check: (c, raw, out) => checkChangeBased(c, raw, out),
  create: (spec, services) => new AnyBranchScheduler(spec, services),
});
