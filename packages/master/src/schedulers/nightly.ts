/**
 * The nightly scheduler: builds on a cron schedule (croner, optional IANA time zone). With
 * `onlyIfChanged` it builds only when an important change arrived since the last build, and then
 * builds those changes; otherwise it builds the configured branch's head.
 */
import { Cron } from 'croner';
import type { ChangeResource } from '../data/types.js';
import { BaseScheduler, type SchedulerServices } from './base.js';
import { changeMatches } from './change-filter.js';
import { cronExpression } from './cron.js';
import { PendingChanges } from './pending-changes.js';
import type { NightlyOptions } from './specs.js';

export class NightlyScheduler extends BaseScheduler<NightlyOptions> {
  private cron: Cron | undefined;
  private readonly pending: PendingChanges;
  private queue: Promise<void> = Promise.resolve();

  constructor(spec: Readonly<NightlyOptions>, services: SchedulerServices) {
    super(spec, services);
    this.pending = new PendingChanges(services, () => this.schedulerid);
  }

  /** The next time this scheduler will fire (null when stopped). */
  nextRun(): Date | null { return this.cron?.nextRun() ?? null; }

  protected async activate(): Promise<void> {
    if (this.spec.onlyIfChanged) {
      await this.pending.restore();
      this.onStop(this.services.mq.subscribe<ChangeResource>(['changes', null, 'new'], (_k, change) => {
        this.queue = this.queue.then(() => this.onChange(change)).catch((err) => this.log.error({ err, scheduler: this.name }, 'nightly scheduler failed to record a change'));
      }));
    }
    this.cron = new Cron(cronExpression(this.spec), { timezone: this.spec.timeZone, protect: true }, () => {
      this.queue = this.queue.then(() => this.fire()).catch((err) => this.log.error({ err, scheduler: this.name }, 'nightly scheduler failed to add a buildset'));
    });
  }

  protected override async deactivate(): Promise<void> {
    this.cron?.stop();
    this.cron = undefined;
    await this.queue;
  }

  private async onChange(change: ChangeResource): Promise<void> {
    if (!changeMatches(this.spec.changeFilter, change)) return;
    if (this.spec.branch !== undefined && (change.branch ?? null) !== this.spec.branch) return;
    const important = this.spec.fileIsImportant ? Boolean(this.spec.fileIsImportant(change)) : true;
    await this.pending.add(change, important);
  }

  /** Runs the scheduled action now, after the changes received so far (tests, manual runs). */
  runNow(): Promise<void> {
    this.queue = this.queue.then(() => this.fire());
    return this.queue;
  }

  private async fire(): Promise<void> {
    if (!this.active) return;
    if (!this.spec.onlyIfChanged) {
      await this.addBuildset({ sourcestamps: this.defaultSourceStamps(this.spec.branch), reason: this.spec.reason ?? `The Nightly scheduler named '${this.name}' triggered this build` });
      return;
    }
    const all = this.pending.values();
    if (!all.some((p) => p.important)) {
      this.log.info({ scheduler: this.name }, 'no important changes since the last build; not building');
      return;
    }
    await this.addBuildsetForChanges(all.map((p) => p.change), this.spec.reason ?? `The Nightly scheduler named '${this.name}' triggered this build`);
    await this.pending.flush(all);
  }
}
