/**
 * The periodic scheduler: a buildset every `periodicBuildTimer` seconds. The time of the last build
 * is persisted, so a restart keeps the rhythm instead of building at once.
 */
import { BaseScheduler } from './base.js';
import type { PeriodicOptions } from './specs.js';

export class PeriodicScheduler extends BaseScheduler<PeriodicOptions> {
  private timer: NodeJS.Timeout | undefined;

  protected async activate(): Promise<void> {
    const last = (await this.services.updates.getState(this.name, 'PeriodicScheduler', 'last_build', null)) as number | null;
    const interval = this.spec.periodicBuildTimer * 1000;
    this.schedule(last === null ? 0 : Math.max(0, last * 1000 + interval - this.now()));
  }

  protected override async deactivate(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => { void this.fire(); }, delayMs);
  }

  private async fire(): Promise<void> {
    if (!this.active) return;
    const at = this.now();
    try {
      await this.addBuildset({
        sourcestamps: this.defaultSourceStamps(this.spec.branch),
        reason: this.defaultReason(),
      });
      await this.services.updates.setState(this.name, 'PeriodicScheduler', 'last_build', at / 1000);
    } catch (err) {
      this.log.error({ err, scheduler: this.name }, 'periodic scheduler failed to add a buildset');
    }
    if (this.active) this.schedule(Math.max(0, at + this.spec.periodicBuildTimer * 1000 - this.now()));
  }
}
