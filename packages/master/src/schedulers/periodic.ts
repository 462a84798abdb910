/**
 * The periodic scheduler: a buildset every `periodicBuildTimer` seconds. The time of the last build
 * is persisted, so a restart keeps the rhythm instead of building at once.
 */
import { BaseScheduler } from './base.js';
import type { CommonSchedulerOptions } from './specs.js';
import { num, optStr } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { COMMON_KEYS } from './checks.js';

export interface PeriodicOptions extends CommonSchedulerOptions {
  /** Seconds between buildsets. */
  periodicBuildTimer: number;
  branch?: string | null;
}

export class PeriodicScheduler extends BaseScheduler<PeriodicOptions> {
  protected readonly buildbotClass = 'Periodic';
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

/** `schedulers.periodic`: a buildset every periodicBuildTimer seconds. */
export const periodicKind = schedulerKind({
  factory: (o: PeriodicOptions) => schedulerSpec({ ...o, kind: 'periodic' as const }),
  keys: [...COMMON_KEYS, 'periodicBuildTimer', 'branch'],
  check: (c, raw, out) => {
    out.periodicBuildTimer = num(c, raw, 'periodicBuildTimer', { fallback: 3600, min: 1, required: true });
    optStr(c, raw, 'branch');
  },
  create: (spec, services) => new PeriodicScheduler(spec, services),
});
