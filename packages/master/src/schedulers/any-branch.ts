/** Builds changes on every branch that passes the filter; each branch has its own stable timer. */
import type { ChangeResource } from '../data/types.js';
import { ChangeScheduler } from './change-scheduler.js';

export class AnyBranchScheduler extends ChangeScheduler {
  protected treeKey(c: ChangeResource): string {
    return JSON.stringify([c.codebase ?? '', c.project ?? '', c.repository ?? '', c.branch ?? null]);
  }
}
