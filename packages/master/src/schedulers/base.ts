/**
 * What every scheduler shares: resolving builder names to ids, Buildbot's buildset properties
 * (`scheduler` plus the configured ones), and turning changes or explicit positions into a
 * buildset with one SourceStamp per codebase. Subclasses decide *when* to call these.
 */
import { silentLogger, type Logger } from 'mastro-protocol';
import type { MessageQueue } from '../mq/bus.js';
import type { PbHost } from '../workers/pb/pb-host.js';
import type { AddBuildsetResult, EngineReads, SourceStampInput, Updates } from '../data/updates-api.js';
import type { ChangeResource, SourcedProperties } from '../data/types.js';
import type { CodebaseDefault, CommonSchedulerOptions } from './specs.js';
import { DEFAULT_REASON, formatReason } from './reason.js';
import { announceConcurrency } from './overlap.js';

/** What a scheduler needs from the master. `reads` enables persistence of pending changes. */
export interface SchedulerServices {
  mq: MessageQueue;
  updates: Pick<Updates, 'addBuildset' | 'findBuilderId' | 'getState' | 'setState'> & Partial<Pick<Updates, 'findSchedulerId' | 'classifyChanges' | 'flushChangeClassifications' | 'trySetSchedulerMaster' | 'durable'>>;
  reads?: Partial<Pick<EngineReads, 'getChange' | 'getChangeClassifications' | 'getBuildset' | 'getLastBuiltRevision' | 'getSourceStamp' | 'getBuildRequestsForBuildset' | 'getLatestChangeId' | 'getBuild'>>
    & { getList?(path: ReadonlyArray<string | number>): Promise<any[]> };
  /** The master's PB logins (a try scheduler takes `buildbot try --connect=pb` through them). */
  pb?: PbHost;
  /** When given, the scheduler claims itself for this master and stays idle if another owns it. */
  masterid?: number;
  logger?: Logger;
  /** Clock in epoch milliseconds (tests). */
  now?: () => number;
}

export interface BuildsetRequest {
  sourcestamps: Array<number | SourceStampInput>;
  reason?: string;
  /** Extra properties (name -> [value, source]); the scheduler's own are added. */
  properties?: SourcedProperties;
  builderNames?: readonly string[];
  waitedFor?: boolean;
  parentBuildid?: number | null;
  externalIdstring?: string | null;
}


/** The options every scheduler kind has (force and triggerable type reason/codebases their own way). */
export interface BaseSchedulerOptions { name: string; builderNames: string[]; properties?: Record<string, unknown>; priority?: number }

export abstract class BaseScheduler<S extends BaseSchedulerOptions = CommonSchedulerOptions> {
  readonly name: string;
  protected readonly log: Logger;
  protected schedulerid: number | null = null;
  protected active = false;
  private readonly builderIds = new Map<string, number>();
  private readonly cleanups: Array<() => void> = [];

  constructor(readonly spec: Readonly<S>, protected readonly services: SchedulerServices) {
    this.name = spec.name;
    this.log = services.logger ?? silentLogger;
  }

  /** Builder names this scheduler starts. */
  get builderNames(): readonly string[] { return this.spec.builderNames; }

  async start(): Promise<void> {
    const u = this.services.updates;
    if (u.findSchedulerId) this.schedulerid = await u.findSchedulerId(this.name);
    if (this.schedulerid !== null && this.services.masterid !== undefined && u.trySetSchedulerMaster) {
      if (!(await u.trySetSchedulerMaster(this.schedulerid, this.services.masterid))) {
        this.log.info({ scheduler: this.name }, 'scheduler is active on another master; staying idle');
        return;
      }
    }
    this.active = true;
    await this.activate();
  }

  async stop(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    for (const c of this.cleanups.splice(0)) c();
    await this.deactivate();
    const u = this.services.updates;
    if (this.schedulerid !== null && this.services.masterid !== undefined && u.trySetSchedulerMaster) {
      await u.trySetSchedulerMaster(this.schedulerid, null);
    }
  }

  /** Subscribe/start timers here; called once the scheduler owns itself. */
  protected abstract activate(): Promise<void>;
  protected async deactivate(): Promise<void> {}

  /** Registers something to undo on stop (an mq subscription, a timer). */
  protected onStop(cleanup: () => void): void { this.cleanups.push(cleanup); }

  protected now(): number { return this.services.now?.() ?? Date.now(); }

  /**
   * The Buildbot class this scheduler stands for ("AnyBranchScheduler"), as reasons name it;
   * mastro-only schedulers take a name in the same style ("Upstream").
   */
  protected abstract readonly buildbotClass: string;

  protected buildbotClassName(): string {
    return this.buildbotClass;
  }

  /** The configured reason (Buildbot's placeholders filled) or Buildbot's default for this class. */
  protected defaultReason(): string {
    return formatReason((this.spec as CommonSchedulerOptions).reason ?? DEFAULT_REASON, this.name, this.buildbotClassName());
  }

  protected async builderIdsFor(names: readonly string[]): Promise<number[]> {
    const ids: number[] = [];
    for (const n of names) {
      let id = this.builderIds.get(n);
      if (id === undefined) { id = await this.services.updates.findBuilderId(n); this.builderIds.set(n, id); }
      ids.push(id);
    }
    return ids;
  }

  /** The configured codebases as name -> defaults ({} when only names were given). */
  protected codebaseDefaults(): Map<string, CodebaseDefault> {
    const cb = (this.spec as CommonSchedulerOptions).codebases;
    const out = new Map<string, CodebaseDefault>();
    if (Array.isArray(cb)) for (const n of cb) out.set(n, {});
    else if (cb) for (const [n, d] of Object.entries(cb)) out.set(n, d ?? {});
    return out;
  }

  protected schedulerProperties(): SourcedProperties {
    const props: SourcedProperties = { scheduler: [this.name, 'Scheduler'] };
    for (const [k, v] of Object.entries(this.spec.properties ?? {})) props[k] = [v, 'Scheduler'];
    return props;
  }

  async addBuildset(req: BuildsetRequest): Promise<AddBuildsetResult> {
    const builderids = await this.builderIdsFor(req.builderNames ?? this.spec.builderNames);
    const result = await this.services.updates.addBuildset({
      scheduler: this.name,
      sourcestamps: req.sourcestamps,
      reason: req.reason ?? this.defaultReason(),
      properties: { ...this.schedulerProperties(), ...req.properties },
      builderids,
      waited_for: req.waitedFor ?? false,
      parent_buildid: req.parentBuildid ?? null,
      external_idstring: req.externalIdstring ?? null,
      priority: this.spec.priority ?? 0,
    });
    this.log.info({ scheduler: this.name, bsid: result.bsid, builders: req.builderNames ?? this.spec.builderNames }, 'buildset added');
    const common = this.spec as CommonSchedulerOptions;
    if (common.overlap && common.overlap !== 'queue') {
      await announceConcurrency(this.services, { bsid: result.bsid, group: common.concurrencyGroup ?? this.name, policy: common.overlap, sourcestamps: req.sourcestamps });
    }
    return result;
  }

  /**
   * Buildbot's addBuildsetForChanges: the newest change of each codebase gives that codebase's
   * SourceStamp; configured codebases without a change use their defaults. Change properties are
   * copied to the buildset (source 'Change').
   */
  async addBuildsetForChanges(changes: readonly ChangeResource[], reason?: string): Promise<AddBuildsetResult> {
    const newest = new Map<string, ChangeResource>();
    for (const ch of changes) {
      const prev = newest.get(ch.codebase ?? '');
      if (!prev || ch.changeid > prev.changeid) newest.set(ch.codebase ?? '', ch);
    }
    const sourcestamps: Array<number | SourceStampInput> = [];
    for (const [codebase, dflt] of this.codebaseDefaults()) {
      if (newest.has(codebase)) continue;
      const revision = dflt.revision ?? (await this.knownGoodRevision(codebase));
      sourcestamps.push({ codebase, repository: dflt.repository ?? '', branch: dflt.branch ?? null, revision, project: dflt.project ?? '' });
    }
    const properties: SourcedProperties = {};
    for (const ch of [...changes].sort((a, b) => a.changeid - b.changeid)) {
      for (const [k, v] of Object.entries(ch.properties ?? {})) properties[k] = Array.isArray(v) && v.length === 2 ? (v as [unknown, string]) : [v, 'Change'];
    }
    for (const ch of newest.values()) {
      const ssid = ch.sourcestamp?.ssid;
      sourcestamps.push(ssid !== undefined ? ssid : { codebase: ch.codebase, repository: ch.repository, branch: ch.branch, revision: ch.revision, project: ch.project });
    }
    return this.addBuildset({ sourcestamps, reason, properties });
  }

  /**
   * The revision a codebase without a change is built at: the last successful build's revision of
   * the first builder for that codebase (stored with the build's SourceStamps), or null (branch
   * head) when there is none yet or the scheduler asks for 'head'.
   */
  protected async knownGoodRevision(codebase: string): Promise<string | null> {
    const common = this.spec as CommonSchedulerOptions;
    const read = this.services.reads?.getLastBuiltRevision;
    if (common.unchangedCodebases === 'head' || !read || !this.spec.builderNames.length) return null;
    const [builderid] = await this.builderIdsFor(this.spec.builderNames.slice(0, 1));
    return read.call(this.services.reads, builderid!, codebase);
  }

  /** SourceStamps from the configured codebases (or one default codebase) with an optional branch. */
  protected defaultSourceStamps(branch: string | null | undefined): SourceStampInput[] {
    const defaults = this.codebaseDefaults();
    if (defaults.size === 0) defaults.set('', {});
    return [...defaults].map(([codebase, d]) => ({
      codebase, repository: d.repository ?? '', branch: branch !== undefined && branch !== null ? branch : d.branch ?? null,
      revision: d.revision ?? null, project: d.project ?? '',
    }));
  }
}
