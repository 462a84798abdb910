/** Builds changes of one branch (and what the filter lets through); one stable timer for all. */
import type { ChangeResource } from '../data/types.js';
import { ChangeScheduler } from './change-scheduler.js';
import type { SingleBranchOptions } from './specs.js';

export class SingleBranchScheduler extends ChangeScheduler<SingleBranchOptions> {
  protected treeKey(): string { return ''; }

  protected override acceptsChange(c: ChangeResource): boolean {
    return this.spec.branch === undefined || (c.branch ?? null) === this.spec.branch;
  }
}
