/**
 * The triggerable scheduler: a `trigger` step hands it SourceStamps and properties; it creates the
 * buildset and, when the step waits, resolves with the buildset's result once it completes.
 */
import type { BuildsetResource } from '../data/types.js';
import type { Result } from '../model/results.js';
import type { Triggerable, TriggerHandle } from '../process/step-types.js';
import { BaseScheduler } from './base.js';
import type { CommonSchedulerOptions } from './specs.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { COMMON_KEYS } from './checks.js';

export interface TriggerableOptions extends Omit<CommonSchedulerOptions, 'reason'> {
  reason?: string;
}

export class TriggerableScheduler extends BaseScheduler<TriggerableOptions> implements Triggerable {
  protected readonly buildbotClass = 'Triggerable';
  private readonly waiting = new Map<number, (r: { results: Result }) => void>();

  protected async activate(): Promise<void> {
    this.onStop(this.services.mq.subscribe<BuildsetResource>(['buildsets', null, 'complete'], (_key, bs) => {
      const done = this.waiting.get(bs.bsid);
      if (done) { this.waiting.delete(bs.bsid); done({ results: (bs.results ?? 0) as Result }); }
    }));
  }

  protected override async deactivate(): Promise<void> {
    // Waiting steps are not left hanging forever: the buildsets stay, their result is unknown here.
    for (const [bsid, done] of this.waiting) { this.log.warn({ scheduler: this.name, bsid }, 'triggerable scheduler stopped while a trigger step waited'); done({ results: 4 as Result }); }
    this.waiting.clear();
  }

  async trigger(req: Parameters<Triggerable['trigger']>[0]): Promise<TriggerHandle> {
    if (!this.active) throw new Error(`triggerable scheduler '${this.name}' is not running on this master`);
    const sourcestamps = req.sourcestamps.map((s) => (s.ssid !== undefined ? s.ssid : {
      codebase: s.codebase, repository: s.repository, branch: s.branch, revision: s.revision, project: s.project, patch: s.patch ?? null,
    }));
    const { bsid, brids } = await this.addBuildset({
      sourcestamps: sourcestamps.length ? sourcestamps : this.defaultSourceStamps(undefined),
      reason: req.reason ?? this.defaultReason(),
      properties: req.properties, waitedFor: req.waitedFor, parentBuildid: req.parentBuildid ?? null,
    });
    const finished = new Promise<{ results: Result }>((resolve) => this.waiting.set(bsid, resolve));
    // The buildset may have completed before we started listening for it (very fast builds).
    const row = await this.services.reads?.getBuildset?.(bsid);
    if (row?.complete) { this.waiting.get(bsid)?.({ results: (row.results ?? 0) as Result }); this.waiting.delete(bsid); }
    return { bsid, brids, finished };
  }
}

/** `schedulers.triggerable`: buildsets started by trigger steps of other builds. */
export const triggerableKind = schedulerKind({
  factory: (o: TriggerableOptions) => schedulerSpec({ ...o, kind: 'triggerable' as const }),
  keys: COMMON_KEYS,
  check: () => {},
  create: (spec, services) => new TriggerableScheduler(spec, services),
});
