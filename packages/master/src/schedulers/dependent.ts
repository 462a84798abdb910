/**
 * The dependent scheduler (Buildbot's Dependent): watches the buildsets of an upstream scheduler
 * and, when one completes SUCCESS or WARNINGS, adds a buildset for our builders on the very same
 * SourceStamps. The upstream buildsets being watched are persisted, so a restart in between
 * does not lose the follow-up build.
 */
import type { BuildsetResource } from '../data/types.js';
import { BaseScheduler } from './base.js';
import type { CommonSchedulerOptions } from './specs.js';
import { str } from '../model/config-checks.js';
import { schedulerKind, schedulerSpec } from './kind.js';
import { COMMON_KEYS } from './checks.js';

const CLASS_NAME = 'DependentScheduler';
const GOOD_RESULTS = new Set([0, 1]); // SUCCESS, WARNINGS

export interface DependentOptions extends CommonSchedulerOptions {
  /** Name of the upstream scheduler: each of its buildsets that completes SUCCESS (or WARNINGS) starts ours with the same SourceStamps. */
  upstream: string;
}

export class DependentScheduler extends BaseScheduler<DependentOptions> {
  protected readonly buildbotClass = 'Dependent';
  private readonly watched = new Set<number>();
  private queue: Promise<void> = Promise.resolve();

  protected async activate(): Promise<void> {
    const stored = (await this.services.updates.getState(this.name, CLASS_NAME, 'upstream_bsids', [])) as number[];
    for (const bsid of stored) this.watched.add(bsid);
    this.onStop(this.services.mq.subscribe<BuildsetResource & { scheduler?: string }>(['buildsets', null, 'new'], (_k, bs) => {
      if (bs.scheduler !== this.spec.upstream) return;
      this.watched.add(bs.bsid);
      this.enqueue(() => this.persist());
    }));
    this.onStop(this.services.mq.subscribe<BuildsetResource>(['buildsets', null, 'complete'], (_k, bs) => {
      if (!this.watched.has(bs.bsid)) return;
      this.enqueue(() => this.upstreamDone(bs.bsid, bs.results ?? null));
    }));
    // Upstream buildsets that completed while this master was down.
    for (const bsid of stored) {
      const row = await this.services.reads?.getBuildset?.(bsid);
      if (!row) { this.watched.delete(bsid); continue; }
      if (row.complete) this.enqueue(() => this.upstreamDone(bsid, row.results));
    }
  }

  protected override async deactivate(): Promise<void> { await this.queue; }

  /** Resolves once every event received so far has been handled (tests). */
  idle(): Promise<void> { return this.queue; }

  private enqueue(work: () => Promise<void>): void {
    this.queue = this.queue.then(work).catch((err) => this.log.error({ err, scheduler: this.name }, 'dependent scheduler failed'));
  }

  private persist(): Promise<void> {
    return this.services.updates.setState(this.name, CLASS_NAME, 'upstream_bsids', [...this.watched].sort((a, b) => a - b));
  }

  private async upstreamDone(bsid: number, results: number | null): Promise<void> {
    if (!this.active || !this.watched.delete(bsid)) return;
    await this.persist();
    if (results === null || !GOOD_RESULTS.has(results)) {
      this.log.info({ scheduler: this.name, upstream: bsid, results }, 'upstream buildset did not succeed; not building');
      return;
    }
    const row = await this.services.reads?.getBuildset?.(bsid);
    if (!row) return;
    await this.addBuildset({
      sourcestamps: row.sourcestampids,
      // Buildbot's Dependent always says just 'downstream'; upstream_buildset names the parent.
      reason: this.spec.reason !== undefined ? this.defaultReason() : 'downstream',
      properties: { upstream_buildset: [bsid, 'Scheduler'] },
    });
  }
}

/** `schedulers.dependent`: follows another scheduler's successful buildsets. */
export const dependentKind = schedulerKind({
  factory: (o: DependentOptions) => schedulerSpec({ ...o, kind: 'dependent' as const }),
  keys: [...COMMON_KEYS, 'upstream'],
  check: (c, raw) => {
    str(c, raw, 'upstream', { required: true, nonEmpty: true });
    if (raw.upstream === raw.name) c.add('upstream', 'a dependent scheduler cannot follow itself; name another scheduler');
  },
  create: (spec, services) => new DependentScheduler(spec, services),
});
