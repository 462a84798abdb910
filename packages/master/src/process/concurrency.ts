/**
 * Concurrency groups (the engine side of `overlap: 'collapse' | 'cancel-in-progress'`). Schedulers
 * announce each new buildset of a group on the bus (schedulers/overlap.ts). This keeps, per group,
 * the buildsets that are not complete yet; a newer buildset supersedes the older ones:
 *   - their pending (unclaimed) requests are cancelled, with a reason naming the newer buildset;
 *   - with 'cancel-in-progress', their running builds are stopped as CANCELLED with that reason
 *     (also kept as the build property `cancelled_reason`, so the API and UI can show why).
 * Work is proportional to the group's open buildsets and the running builds, never to all rows.
 * Group membership lives in memory: after a restart, buildsets from before it are not superseded.
 */
import type { Logger } from 'mastro-protocol';
import type { MessageQueue } from '../mq/bus.js';
import type { EngineReads, Updates } from '../data/updates-api.js';
import { Results } from '../model/results.js';

export interface ConcurrencyAnnouncementMsg { bsid: number; group: string; policy: 'collapse' | 'cancel-in-progress' }

export interface ConcurrencyDeps {
  mq: MessageQueue;
  updates: Pick<Updates, 'cancelBuildRequest' | 'setBuildProperty'>;
  reads: Pick<EngineReads, 'getBuildRequestsForBuildset'>;
  /** Running builds of this master that serve one of these requests. */
  runningBuildsFor(brids: ReadonlySet<number>): Array<{ buildid?: number; stop(reason: string, results?: number): void }>;
  log?: Pick<Logger, 'info' | 'warn'>;
}

/** How long a claimed request of a superseded buildset may take to show up as a running build. */
const CLAIM_TO_START_MS = 2000;

export class ConcurrencyGroups {
  private readonly open = new Map<string, number[]>();
  private readonly groupOf = new Map<number, string>();
  private readonly unsubscribe: Array<() => void> = [];
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ConcurrencyDeps) {
    this.unsubscribe.push(deps.mq.subscribe<ConcurrencyAnnouncementMsg>(['concurrency', null, 'new'], (_k, msg) => {
      this.queue = this.queue.then(() => this.onNew(msg)).catch((err) => deps.log?.warn({ err, group: msg.group }, 'superseding older buildsets of a concurrency group failed'));
    }));
    this.unsubscribe.push(deps.mq.subscribe<{ bsid: number }>(['buildsets', null, 'complete'], (_k, bs) => this.forget(bs.bsid)));
  }

  /** Resolves once every announcement so far has been handled (tests). */
  idle(): Promise<void> { return this.queue; }

  close(): void { for (const u of this.unsubscribe.splice(0)) u(); }

  private forget(bsid: number): void {
    const group = this.groupOf.get(bsid);
    if (group === undefined) return;
    this.groupOf.delete(bsid);
    const list = (this.open.get(group) ?? []).filter((b) => b !== bsid);
    if (list.length) this.open.set(group, list); else this.open.delete(group);
  }

  private async onNew(msg: ConcurrencyAnnouncementMsg): Promise<void> {
    const older = (this.open.get(msg.group) ?? []).filter((b) => b < msg.bsid);
    this.open.set(msg.group, [...(this.open.get(msg.group) ?? []).filter((b) => b > msg.bsid), msg.bsid]);
    this.groupOf.set(msg.bsid, msg.group);
    for (const bsid of older) {
      this.groupOf.delete(bsid);
      await this.supersede(bsid, msg);
    }
  }

  private async supersede(bsid: number, by: ConcurrencyAnnouncementMsg): Promise<void> {
    const reason = `superseded by buildset ${by.bsid} (concurrency group ${by.group}, ${by.policy})`;
    const claimed = new Set<number>();
    for (const br of await this.deps.reads.getBuildRequestsForBuildset(bsid)) {
      if (br.complete) continue;
      if (br.claimed_by_masterid === null) {
        try { await this.deps.updates.cancelBuildRequest(br.id, reason); continue; } catch { /* claimed meanwhile: a build runs it */ }
      }
      claimed.add(br.id);
    }
    if (by.policy !== 'cancel-in-progress' || !claimed.size) return;
    // A request is claimed a moment before its build is registered as running: look again briefly.
    const deadline = Date.now() + CLAIM_TO_START_MS;
    for (;;) {
      const builds = this.deps.runningBuildsFor(claimed);
      for (const b of builds) {
        if (b.buildid) await this.deps.updates.setBuildProperty(b.buildid, 'cancelled_reason', reason, 'Concurrency').catch(() => {});
        b.stop(reason, Results.CANCELLED);
      }
      if (builds.length) this.deps.log?.info({ bsid, by: by.bsid, group: by.group, builds: builds.map((b) => b.buildid) }, 'stopped builds superseded by a newer buildset');
      if (builds.length >= claimed.size || Date.now() > deadline) return;
      const pending = await this.deps.reads.getBuildRequestsForBuildset(bsid);
      if (pending.every((r) => r.complete || !claimed.has(r.id))) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}
