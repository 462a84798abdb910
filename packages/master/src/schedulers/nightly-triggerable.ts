/**
 * The nightlyTriggerable scheduler (Buildbot's NightlyTriggerable): a `trigger` step only records
 * its SourceStamps and properties (the latest trigger wins); at each cron time the scheduler
 * starts one buildset from the recorded trigger, if there was one since the last run. The record
 * lives in the scheduler state table, so a restart (or another master taking the scheduler over)
 * keeps it. The trigger step completes at once with SUCCESS: there is no buildset to wait for yet.
 */
import { Cron } from 'croner';
import type { SourceStampInput } from '../data/updates-api.js';
import type { Result } from '../model/results.js';
import type { SourceStampInfo, Triggerable, TriggerHandle } from '../process/step-types.js';
import { BaseScheduler } from './base.js';
import { cronExpression } from './cron.js';
import type { CommonSchedulerOptions, CronField } from './specs.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { CRON_KEYS, TRY_COMMON_KEYS, checkSchedule } from './checks.js';

const CLASS_NAME = 'NightlyTriggerable';
const STATE_KEY = 'lastTrigger';
const SUCCESS = 0 as Result;

/** What one trigger leaves behind, JSON-safe (patches travel as base64). */
interface RecordedTrigger {
  sourcestamps: StoredSourceStamp[];
  properties: Record<string, [unknown, string]>;
  parentBuildid: number | null;
  reason: string | null;
}

interface StoredSourceStamp {
  codebase: string; repository: string; branch: string | null; revision: string | null; project: string;
  patch: { level: number; subdir: string; body64: string; author: string | null; comment: string | null } | null;
}

/** Copied rather than referenced by ssid: the trigger step may have pinned the revision (got_revision). */
function store(s: SourceStampInfo): StoredSourceStamp {
  const p = s.patch;
  return {
    codebase: s.codebase, repository: s.repository, branch: s.branch, revision: s.revision, project: s.project,
    patch: p ? { level: p.level, subdir: p.subdir, body64: Buffer.from(p.body).toString('base64'), author: p.author ?? null, comment: p.comment ?? null } : null,
  };
}

function restore(s: StoredSourceStamp): SourceStampInput {
  const { patch, ...rest } = s;
  return { ...rest, patch: patch ? { level: patch.level, subdir: patch.subdir, body: Buffer.from(patch.body64, 'base64'), author: patch.author, comment: patch.comment } : null };
}

export interface NightlyTriggerableOptions extends Omit<CommonSchedulerOptions, 'overlap' | 'concurrencyGroup' | 'unchangedCodebases'> {
  /** A cron expression; or minute/hour/dayOfMonth/month/dayOfWeek as for `nightly` (default: minute 0 of every hour). */
  cron?: string;
  minute?: CronField; hour?: CronField; dayOfMonth?: CronField; month?: CronField; dayOfWeek?: CronField;
  /** IANA time zone. Default: the master's local time. */
  timeZone?: string;
}

export class NightlyTriggerableScheduler extends BaseScheduler<NightlyTriggerableOptions> implements Triggerable {
  protected readonly buildbotClass = 'NightlyTriggerable';
  private cron: Cron | undefined;
  /** Triggers and runs take turns, so a trigger never slips between reading and clearing the record. */
  private queue: Promise<unknown> = Promise.resolve();

  /** The next time this scheduler will fire (null when stopped). */
  nextRun(): Date | null { return this.cron?.nextRun() ?? null; }

  protected async activate(): Promise<void> {
    this.cron = new Cron(cronExpression(this.spec), { timezone: this.spec.timeZone, protect: true }, () => { void this.runNow(); });
  }

  protected override async deactivate(): Promise<void> {
    this.cron?.stop();
    this.cron = undefined;
    await this.queue.catch(() => undefined);
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Records the trigger for the next scheduled run. Works on every master (the record is in the
   * database), so a trigger step succeeds even where another master runs this scheduler.
   */
  trigger(req: Parameters<Triggerable['trigger']>[0]): Promise<TriggerHandle> {
    return this.serially(async () => {
      const record: RecordedTrigger = { sourcestamps: req.sourcestamps.map(store), properties: req.properties, parentBuildid: req.parentBuildid ?? null, reason: req.reason ?? null };
      await this.services.updates.setState(this.name, CLASS_NAME, STATE_KEY, record);
      this.log.info({ scheduler: this.name, parentBuildid: record.parentBuildid }, 'trigger recorded for the next scheduled run');
      // No buildset and no requests yet: nothing is scheduled until the cron time.
      return { bsid: null, brids: {}, finished: Promise.resolve({ results: SUCCESS }) };
    });
  }

  /** Runs the scheduled action now, after the triggers received so far (tests, manual runs). */
  runNow(): Promise<void> {
    return this.serially(() => this.fire()).catch((err) => this.log.error({ err, scheduler: this.name }, 'nightlyTriggerable scheduler failed to add a buildset'));
  }

  private async fire(): Promise<void> {
    if (!this.active) return;
    const u = this.services.updates;
    const record = (await u.getState(this.name, CLASS_NAME, STATE_KEY, null)) as RecordedTrigger | null;
    if (!record || !Array.isArray(record.sourcestamps)) {
      this.log.info({ scheduler: this.name }, 'not triggered since the last run; not building');
      return;
    }
    const sourcestamps = record.sourcestamps.map(restore);
    // Like Buildbot's addBuildsetForSourceStampsWithDefaults: configured codebases the trigger did not name use their defaults.
    // Without configured codebases, the default '' codebase only stands in when the trigger named none.
    const named = new Set(sourcestamps.map((s) => s.codebase ?? ''));
    const defaults = this.codebaseDefaults().size > 0 || sourcestamps.length === 0 ? this.defaultSourceStamps(undefined) : [];
    for (const d of defaults) if (!named.has(d.codebase ?? '')) sourcestamps.push(d);
    await this.addBuildset({
      sourcestamps,
      reason: this.defaultReason(),
      properties: record.properties ?? {},
      parentBuildid: record.parentBuildid,
    });
    // Cleared only once the buildset exists: a failure above keeps the trigger for the next run.
    await u.setState(this.name, CLASS_NAME, STATE_KEY, null);
  }
}

/** `schedulers.nightlyTriggerable`: at cron times, one buildset from the latest trigger since the last run. */
export const nightlyTriggerableKind = schedulerKind({
  factory: (o: NightlyTriggerableOptions) => schedulerSpec({ ...o, kind: 'nightlyTriggerable' as const }),
  keys: [...TRY_COMMON_KEYS, ...CRON_KEYS],
  check: (c, _raw, out) => checkSchedule(c, out),
  create: (spec, services) => new NightlyTriggerableScheduler(spec, services),
});
