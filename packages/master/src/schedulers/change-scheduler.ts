/**
 * Base of the change-driven schedulers (anyBranch, singleBranch): listens to new changes, applies
 * the change filter and fileIsImportant, and either builds each important change at once
 * (treeStableTimer null) or waits until a tree (a branch of a repository) has been quiet for
 * treeStableTimer seconds and builds all its changes in one buildset.
 */
import type { ChangeResource } from '../data/types.js';
import { BaseScheduler, type SchedulerServices } from './base.js';
import { changeMatches } from './change-filter.js';
import { PendingChanges, type PendingChange } from './pending-changes.js';
import type { ChangeSchedulerOptions } from './specs.js';

export abstract class ChangeScheduler<S extends ChangeSchedulerOptions = ChangeSchedulerOptions> extends BaseScheduler<S> {
  private readonly pending: PendingChanges;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Changes are handled one at a time, in arrival order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(spec: Readonly<S>, services: SchedulerServices) {
    super(spec, services);
    this.pending = new PendingChanges(services, () => this.schedulerid);
  }

  /** Which tree a change belongs to: changes of one tree are built together. */
  protected abstract treeKey(change: ChangeResource): string;
  /** Scheduler-specific acceptance on top of the change filter (singleBranch: the branch). */
  protected acceptsChange(_change: ChangeResource): boolean { return true; }

  protected override async activate(): Promise<void> {
    const restored = await this.pending.restore();
    for (const key of new Set(restored.filter((p) => p.important).map((p) => this.treeKey(p.change)))) this.armTimer(key);
    this.onStop(this.services.mq.subscribe<ChangeResource>(['changes', null, 'new'], (_key, change) => {
      this.queue = this.queue.then(() => this.onChange(change)).catch((err) => {
        this.log.error({ err, scheduler: this.name, changeid: change?.changeid }, 'scheduler failed to handle a change');
      });
    }));
  }

  protected override async deactivate(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.queue;
  }

  /** Resolves once every change received so far has been handled (tests, graceful stop). */
  idle(): Promise<void> { return this.queue; }

  private async onChange(change: ChangeResource): Promise<void> {
    if (!this.active) return;
    if (!changeMatches(this.spec.changeFilter, change) || !this.acceptsChange(change)) return;
    const important = this.spec.fileIsImportant ? Boolean(this.spec.fileIsImportant(change)) : true;
    if (!important && this.spec.onlyImportant) return;
    const timer = this.spec.treeStableTimer ?? null;
    if (timer === null) {
      // Without a timer every important change is built on its own; unimportant ones never are.
      if (important) await this.addBuildsetForChanges([change]);
      return;
    }
    await this.pending.add(change, important);
    if (important) this.armTimer(this.treeKey(change));
  }

  private armTimer(key: string): void {
    const old = this.timers.get(key);
    if (old) clearTimeout(old);
    const ms = (this.spec.treeStableTimer ?? 0) * 1000;
    this.timers.set(key, setTimeout(() => {
      this.timers.delete(key);
      this.queue = this.queue.then(() => this.treeStable(key)).catch((err) => {
        this.log.error({ err, scheduler: this.name }, 'scheduler failed to add a buildset for a stable tree');
      });
    }, ms));
  }

  private async treeStable(key: string): Promise<void> {
    if (!this.active) return;
    const mine: PendingChange[] = this.pending.values().filter((p) => this.treeKey(p.change) === key);
    if (!mine.some((p) => p.important)) return;
    const build = this.spec.onlyImportant ? mine.filter((p) => p.important) : mine;
    await this.addBuildsetForChanges(build.map((p) => p.change));
    await this.pending.flush(mine);
  }
}
