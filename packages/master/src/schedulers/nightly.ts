/**
 * The nightly scheduler: builds on a cron schedule (croner, optional IANA time zone). With
 * `onlyIfChanged` it builds only when the source changed since its last build: important changes
 * seen since then (persisted classifications, plus changes added while the master was down, read
 * back from the last change id it saw) whose newest revision per codebase differs from the last
 * built revision of that codebase (stored in the database). Otherwise it builds the branch head.
 */
import { Cron } from 'croner';
import type { ChangeResource } from '../data/types.js';
import { BaseScheduler, type SchedulerServices } from './base.js';
import { changeMatches } from './change-filter.js';
import { cronExpression } from './cron.js';
import { PendingChanges } from './pending-changes.js';
import type { ChangeFilterSpec, ChangeLike } from './change-filter.js';
import type { CommonSchedulerOptions, CronField } from './specs.js';
import { bool, fn, optStr } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { COMMON_KEYS, CRON_KEYS, checkChangeFilter, checkSchedule } from './checks.js';

const CLASS_NAME = 'NightlyScheduler';
/** At most this many changes are read back after a restart. */
const CATCH_UP = 1000;

export interface NightlyOptions extends CommonSchedulerOptions {
  /** A cron expression ('0 3 * * 1-5', Sunday = 0); or give minute/hour/dayOfMonth/month/dayOfWeek like Buildbot. */
  cron?: string;
  /**
   * Buildbot's fields (defaults: minute 0, every hour, day, month and day of the week). A number,
   * a list of numbers or cron text. `dayOfWeek` counts from Monday = 0 as in Buildbot; day names
   * ('mon,wed') and ranges or steps in text are cron's (Sunday = 0), as Buildbot passes them on.
   */
  minute?: CronField; hour?: CronField; dayOfMonth?: CronField; month?: CronField; dayOfWeek?: CronField;
  /** IANA time zone, e.g. 'Europe/Berlin'. Default: the master's local time. */
  timeZone?: string;
  /** Build only when an important change arrived since the last build. Default false. */
  onlyIfChanged?: boolean;
  branch?: string | null;
  changeFilter?: ChangeFilterSpec;
  fileIsImportant?: (change: ChangeLike) => boolean;
}

export class NightlyScheduler extends BaseScheduler<NightlyOptions> {
  protected readonly buildbotClass = 'Nightly';
  private cron: Cron | undefined;
  private readonly pending: PendingChanges;
  private queue: Promise<void> = Promise.resolve();

  constructor(spec: Readonly<NightlyOptions>, services: SchedulerServices) {
    super(spec, services);
    this.pending = new PendingChanges(services, () => this.schedulerid);
  }

  /** The next time this scheduler will fire (null when stopped). */
  nextRun(): Date | null { return this.cron?.nextRun() ?? null; }

  private lastChangeId = 0;

  protected async activate(): Promise<void> {
    if (this.spec.onlyIfChanged) {
      await this.pending.restore();
      await this.catchUp();
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

  /** Changes added while this scheduler was not running (bounded to the newest CATCH_UP). */
  private async catchUp(): Promise<void> {
    const reads = this.services.reads;
    const stored = (await this.services.updates.getState(this.name, CLASS_NAME, 'last_changeid', null)) as number | null;
    const latest = (await reads?.getLatestChangeId?.()) ?? 0;
    if (stored === null || !reads?.getChange) { this.lastChangeId = latest; return; }
    this.lastChangeId = stored;
    for (let id = Math.max(stored + 1, latest - CATCH_UP + 1); id <= latest; id++) {
      const row = await reads.getChange(id);
      if (row) await this.onChange({ ...row, committer: row.committer ?? null, sourcestamp: { ssid: row.sourcestampid } } as unknown as ChangeResource);
    }
  }

  private async onChange(change: ChangeResource): Promise<void> {
    this.lastChangeId = Math.max(this.lastChangeId, change.changeid);
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
      await this.addBuildset({ sourcestamps: this.defaultSourceStamps(this.spec.branch), reason: this.defaultReason() });
      return;
    }
    const all = this.pending.values();
    const u = this.services.updates;
    await u.setState(this.name, CLASS_NAME, 'last_changeid', this.lastChangeId);
    if (!all.some((p) => p.important)) {
      this.log.info({ scheduler: this.name }, 'no important changes since the last build; not building');
      return;
    }
    const lastBuilt = ((await u.getState(this.name, CLASS_NAME, 'last_built', {})) ?? {}) as Record<string, string | null>;
    const newest: Record<string, string | null> = {};
    for (const p of all) newest[p.change.codebase ?? ''] = p.change.revision ?? null;
    if (Object.entries(newest).every(([cb, rev]) => rev !== null && lastBuilt[cb] === rev)) {
      this.log.info({ scheduler: this.name, revisions: newest }, 'changes arrived but every codebase is at its last built revision; not building');
      await this.pending.flush(all);
      return;
    }
    await this.addBuildsetForChanges(all.map((p) => p.change), this.defaultReason());
    await u.setState(this.name, CLASS_NAME, 'last_built', { ...lastBuilt, ...newest });
    await this.pending.flush(all);
  }
}

/** `schedulers.nightly`: buildsets at cron times, optionally only when something changed. */
export const nightlyKind = schedulerKind({
  factory: (o: NightlyOptions) => schedulerSpec({ ...o, kind: 'nightly' as const }),
  keys: [...COMMON_KEYS, ...CRON_KEYS, 'onlyIfChanged', 'branch', 'changeFilter', 'fileIsImportant'],
  check: (c, raw, out) => {
    out.onlyIfChanged = bool(c, raw, 'onlyIfChanged', false);
    fn(c, raw, 'fileIsImportant');
    checkChangeFilter(c, raw);
    optStr(c, raw, 'branch');
    checkSchedule(c, raw);
  },
  create: (spec, services) => new NightlyScheduler(spec, services),
});
