/** Builds changes of one branch (and what the filter lets through); one stable timer for all. */
import type { ChangeResource } from '../data/types.js';
import { ChangeScheduler } from './change-scheduler.js';
import type { ChangeSchedulerOptions } from './specs.js';
import { optStr } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { CHANGE_BASED_KEYS, checkChangeBased } from './checks.js';

export interface SingleBranchOptions extends ChangeSchedulerOptions {
  /** The branch to watch; `null` means the default branch. Required unless changeFilter is given. */
  branch?: string | null;
}

export class SingleBranchScheduler extends ChangeScheduler<SingleBranchOptions> {
  protected readonly buildbotClass = 'SingleBranchScheduler';
  protected treeKey(): string { return ''; }

  protected override acceptsChange(c: ChangeResource): boolean {
    return this.spec.branch === undefined || (c.branch ?? null) === this.spec.branch;
  }
}

/** `schedulers.singleBranch`: builds changes of one branch. */
export const singleBranchKind = schedulerKind({
  factory: (o: SingleBranchOptions) => schedulerSpec({ ...o, kind: 'singleBranch' as const }),
  keys: [...CHANGE_BASED_KEYS, 'branch'],
  check: (c, raw, out) => {
    checkChangeBased(c, raw, out);
    if (raw.branch === undefined && raw.changeFilter === undefined) c.here("needs 'branch' (a branch name, or null for the default branch) or 'changeFilter'");
    else optStr(c, raw, 'branch');
  },
  create: (spec, services) => new SingleBranchScheduler(spec, services),
});
