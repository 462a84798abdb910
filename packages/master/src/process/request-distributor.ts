/**
 * The request distributor: matches pending BuildRequests with free workers.
 *
 * Pending requests live in memory, per builder, in dispatch order. They are loaded at start with
 * ONE query and then kept current from bus events (buildrequests new / unclaimed / claimed /
 * complete / canceled), so no event ever triggers a scan over all requests. Dispatch passes are
 * coalesced (a burst of events makes one pass) and serialised (hooks may be async).
 *
 * For each builder a pass finds the free workers (connected, listed in workerNames and/or having
 * every tag of workerTags, under their maxBuilds, not already running a build of this builder;
 * tag selection goes through the botmaster's index of workers by tag, never a scan of all), then walks the requests in order
 * (or as `nextBuild` picks them) and tries workers (least busy first, or as `nextWorker` picks)
 * against `canStartBuild` and lock availability. A match is claimed atomically through the data
 * layer (another master may claim the same request) and handed to the botmaster.
 *
 * Each request that stays pending has a machine-readable reason (see PendingCodes).
 */
import type { BuildRequestRow, SourceStampRow } from '../data/updates-api.js';
import type { PendingReason } from '../data/types.js';
import type { RemoteWorker } from '../workers/types.js';
import type { Builder } from './builder.js';
import { collapseSignature } from './collapse.js';
import { PendingCodes } from './distributor-types.js';
import type { Logger } from 'mastro-protocol';
import type { EngineData } from './engine-data.js';
import type { LockHandle, LockRegistry, LockState } from './locks.js';
import type { QueuedRequest } from './request-queue.js';
import { Results } from '../model/results.js';
import { describeOutage, outageOf } from '../db/outage.js';

/** A connected worker as the distributor sees it. */
export interface WorkerSlot {
  readonly name: string;
  readonly remote: RemoteWorker;
  readonly maxBuilds: number | null;
  /** Builds running (or being claimed) on this worker, across builders. */
  running: number;
  /** Paused or shutting down gracefully: no new builds. */
  paused: boolean;
  readonly properties: Readonly<Record<string, unknown>>;
  /** Effective tags (os=, arch=, own, pool's) that `workerTags` selects on; none when absent. */
  readonly tags?: ReadonlySet<string>;
}

export interface DistributorDeps {
  data: EngineData;
  masterid: number;
  locks: LockRegistry;
  log: Logger;
  builderById(builderid: number): Builder | undefined;
  builders(): Iterable<Builder>;
  worker(name: string): WorkerSlot | undefined;
  /** Connected workers having every one of `tags` (process/tag-index.ts); without it no worker matches tags. */
  workersWithTags?(tags: readonly string[]): Iterable<WorkerSlot>;
  /** Of `tags`, those no connected worker has (for the pending reason). */
  missingTags?(tags: readonly string[]): string[];
  /** Starts a build for a claimed request (with the builder's locks already held); the botmaster releases the slots when it ends. */
  startBuild(builder: Builder, worker: WorkerSlot, request: BuildRequestRow, locks: LockHandle | null): void;
  /** First argument of a collapseRequests function (Buildbot passes the master). */
  collapseContext?: unknown;
  /** Latent workers (workers/latent/manager.ts): told what waits, so they start when a builder needs them. */
  latent?: LatentDemand;
}

/** What the distributor tells the latent workers each pass (LatentManager implements it). */
export interface LatentDemand {
  passStarted(): void;
  /** How many latent workers may run this builder's builds (0: none); no more waiting requests are counted. */
  serves(builder: Builder): number;
  /** `waiting` requests of the builder could not start: start latent workers for them; the reason to show, or null. */
  demand(builder: Builder, waiting: number): PendingReason | null;
  passDone(): void;
}

interface Entry { q: QueuedRequest; builderid: number; reasonPass: number }

/** The request shape hooks receive (Buildbot's buildrequest dict keys). */
export function requestView(row: BuildRequestRow): Record<string, unknown> {
  return { ...row, buildrequestid: row.id };
}

function workerView(w: WorkerSlot): Record<string, unknown> {
  return { name: w.name, workername: w.name, info: w.remote.info, runningBuilds: w.running, maxBuilds: w.maxBuilds, properties: w.properties, tags: [...(w.tags ?? [])] };
}

const hasTags = (w: WorkerSlot, tags: readonly string[]): boolean => tags.every((t) => w.tags?.has(t) ?? false);

export class RequestDistributor {
  private readonly entries = new Map<number, Entry>();
  /** Requests whose builder is not configured here (kept for a reconfig that adds it). */
  private readonly orphans = new Map<number, Map<number, BuildRequestRow>>();
  private pass = 0;
  /** Claims failed for a database outage since the last claim that worked (logged once, retried slower). */
  private claimOutage = false;
  private readonly builderPass = new WeakMap<Builder, number>();
  private dirty = false;
  private looping = false;
  private idle: Promise<void> = Promise.resolve();
  private stopping = false;
  private unsubscribe: Array<() => void> = [];
  /** Cache of collapse signatures per buildset (all requests of a buildset share sourcestamps). */
  private readonly signatureCache = new Map<number, Promise<string | null>>();

  constructor(private readonly deps: DistributorDeps) {}

  /** Loads every pending request with one query, subscribes to request events, and dispatches. */
  async start(): Promise<void> {
    const { mq, reads } = this.deps.data;
    // Subscribe first so nothing submitted during the load is missed (duplicates are ignored by id).
    this.unsubscribe.push(mq.subscribe(['buildrequests', null, null], (key, data) => this.onEvent(key[2], data)));
    const rows = await reads.getPendingBuildRequests();
    const byBuilder = new Map<Builder, QueuedRequest[]>();
    for (const row of rows) {
      if (this.entries.has(row.id)) continue;
      const b = this.deps.builderById(row.builderid);
      if (!b) { this.addOrphan(row); continue; }
      const q: QueuedRequest = { row, state: 'pending', reason: null };
      this.entries.set(row.id, { q, builderid: row.builderid, reasonPass: -1 });
      let list = byBuilder.get(b);
      if (!list) byBuilder.set(b, (list = []));
      list.push(q);
    }
    for (const [b, list] of byBuilder) b.queue.addMany(list);
    reads.setPendingReasonProvider((brid) => this.pendingReason(brid));
    this.wake();
  }

  /** Stops dispatching new builds (the master is shutting down). */
  stop(): void {
    this.stopping = true;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    this.deps.data.reads.setPendingReasonProvider(null);
  }

  /** Resolves when no dispatch pass is running or scheduled (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.looping || this.dirty) await this.idle;
  }

  /** Resolves once every claim in flight has been settled: started, forgotten or unclaimed (shutdown waits for it). */
  async claimsSettled(): Promise<void> {
    while (this.claims.size) await Promise.allSettled([...this.claims]);
  }

  private readonly claims = new Set<Promise<void>>();

  get pendingCount(): number { return this.entries.size; }

  private addOrphan(row: BuildRequestRow): void {
    let m = this.orphans.get(row.builderid);
    if (!m) this.orphans.set(row.builderid, (m = new Map()));
    m.set(row.id, row);
  }

  /** A builder appeared (startup or reconfig): adopt its waiting requests. */
  builderAdded(b: Builder): void {
    const rows = this.orphans.get(b.builderid);
    if (rows) {
      this.orphans.delete(b.builderid);
      for (const row of rows.values()) this.addRequest(row);
    }
    this.wake();
  }

  /** A builder was removed by a reconfig: its pending requests wait as orphans. */
  builderRemoved(b: Builder): void {
    for (const q of b.queue.pending()) {
      this.entries.delete(q.row.id);
      b.queue.remove(q);
      this.addOrphan(q.row);
    }
  }

  /** Adds a request to its builder's queue (idempotent by id). */
  addRequest(row: BuildRequestRow): void {
    if (this.entries.has(row.id) || row.complete || (row.claimed_by_masterid ?? null) !== null) return;
    const b = this.deps.builderById(row.builderid);
    if (!b) { this.addOrphan(row); return; }
    const q: QueuedRequest = { row, state: 'pending', reason: null };
    this.entries.set(row.id, { q, builderid: row.builderid, reasonPass: -1 });
    b.queue.add(q);
    if (b.config.collapseRequests !== false) void this.collapseOlder(b, q);
    this.wake();
  }

  /** Removes a request (claimed elsewhere, completed, cancelled). */
  removeRequest(brid: number): void {
    const e = this.entries.get(brid);
    if (!e) {
      for (const m of this.orphans.values()) m.delete(brid);
      return;
    }
    this.entries.delete(brid);
    if (e.q.state === 'claiming') return; // our own claim: its callback finishes the bookkeeping
    const b = this.deps.builderById(e.builderid);
    b?.unindex(e.q);
    b?.queue.remove(e.q);
  }

  private onEvent(event: string | undefined, data: unknown): void {
    const row = toRow(data);
    if (!row) return;
    switch (event) {
      case 'new':
      case 'unclaimed':
        this.addRequest({ ...row, claimed_by_masterid: null, claimed_at: null });
        break;
      case 'claimed':
        // Our own claims are already out of the queue; a claim by another master removes it here.
        if (row.claimed_by_masterid !== this.deps.masterid) this.removeRequest(row.id);
        break;
      case 'complete':
      case 'canceled':
      case 'cancelled':
        this.removeRequest(row.id);
        break;
    }
  }

  /** Something changed (request, worker, build finished, lock released): schedule a dispatch pass. */
  wake(): void {
    this.dirty = true;
    if (this.looping || this.stopping) return;
    this.looping = true;
    this.idle = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.dirty && !this.stopping) {
        // Let a burst of events land first: one pass serves them all.
        await new Promise((r) => setImmediate(r));
        this.dirty = false;
        try {
          await this.dispatchPass();
        } catch (err) {
          this.deps.log.error({ err }, 'dispatch pass failed; retrying on the next event');
        }
      }
    } finally {
      this.looping = false;
    }
  }

  private async dispatchPass(): Promise<void> {
    const pass = ++this.pass;
    const builders = [...this.deps.builders()].filter((b) => b.queue.size > 0);
    builders.sort((a, b) => (b.config.priority - a.config.priority) || ((a.queue.first()?.row.submitted_at ?? 0) - (b.queue.first()?.row.submitted_at ?? 0)));
    const latent = this.deps.latent;
    latent?.passStarted();
    for (const b of builders) {
      if (this.stopping) return;
      await this.dispatchBuilder(b, pass);
      const cap = latent && !b.paused && !this.stopping ? latent.serves(b) : 0;
      if (cap > 0) {
        // Requests still waiting for a worker: latent ones may be started for them (no more than can be).
        let waiting = 0;
        for (const _ of b.queue.pending()) if (++waiting >= cap) break;
        const reason = latent!.demand(b, waiting);
        if (reason) this.setReason(b, pass, reason);
      }
    }
    latent?.passDone();
  }

  /** The connected workers a builder may use: by name, by tags (from the index), or listed and tagged. */
  private *candidates(b: Builder): Iterable<WorkerSlot> {
    const tags = b.config.workerTags;
    if (tags.length === 0 || b.config.workerNames.length > 0) {
      for (const name of b.config.workerNames) {
        const w = this.deps.worker(name);
        if (w && (tags.length === 0 || hasTags(w, tags))) yield w;
      }
      return;
    }
    yield* this.deps.workersWithTags?.(tags) ?? [];
  }

  private freeWorkers(b: Builder): { connected: number; free: WorkerSlot[] } {
    let connected = 0;
    const free: WorkerSlot[] = [];
    for (const w of this.candidates(b)) {
      const name = w.name;
      // A connection already gone (a keepalive just dropped it) whose 'detached' is still on its way.
      if (w.remote.connected === false) continue;
      connected++;
      if (w.paused || b.isWorkerBusy(name)) continue;
      if (w.maxBuilds !== null && w.running >= w.maxBuilds) continue;
      free.push(w);
    }
    return { connected, free };
  }

  /** A builder's worker names in byLoad's name order, per config (a reconfig gives a new list). */
  private readonly namesByName = new WeakMap<readonly string[], readonly string[]>();

  /**
   * For a builder no hook or lock can make refuse a worker: the one worker pickWorker would take
   * (least loaded, then first by name), found by walking the names in name order and stopping at
   * the first idle free one. freeWorkers visits every worker of the builder, and did so twice per
   * build: with 10,000 workers on one builder a build cost 4x the master CPU it costs with 2.
   * `connected` is only exact when it is 0 (the walk may stop early).
   */
  private firstFree(b: Builder): { connected: number; free: WorkerSlot[] } {
    let names = this.namesByName.get(b.config.workerNames);
    if (!names) this.namesByName.set(b.config.workerNames, (names = [...b.config.workerNames].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))));
    let connected = 0;
    let best: WorkerSlot | undefined;
    for (const name of names) {
      const w = this.deps.worker(name);
      if (!w || w.remote.connected === false) continue;
      connected++;
      if (w.paused || b.isWorkerBusy(name)) continue;
      if (w.maxBuilds !== null && w.running >= w.maxBuilds) continue;
      // In name order, so among equally loaded workers the first one seen stays.
      if (!best || w.running < best.running) best = w;
      if (best.running === 0) break;
    }
    return { connected, free: best ? [best] : [] };
  }

  private setReason(b: Builder, pass: number, reason: PendingReason): void {
    b.reason = reason;
    this.builderPass.set(b, pass);
  }

  private async dispatchBuilder(b: Builder, pass: number): Promise<void> {
    if (b.paused) return this.setReason(b, pass, { code: PendingCodes.BUILDER_PAUSED, message: `builder '${b.name}' is paused` });
    const tags = b.config.workerTags;
    // firstFree walks the listed names only; selection by tags goes through the tag index in freeWorkers.
    const simple = tags.length === 0 && !b.config.nextWorker && !b.config.canStartBuild && !b.config.locks.length;
    const freeNow = () => (simple ? this.firstFree(b) : this.freeWorkers(b));
    let { connected, free } = freeNow();
    if (connected === 0 && tags.length) return this.setReason(b, pass, this.noTaggedWorker(b));
    if (connected === 0) {
      return this.setReason(b, pass, {
        code: PendingCodes.NO_WORKER_CONNECTED,
        message: `none of the workers of builder '${b.name}' is connected (${b.config.workerNames.join(', ') || 'no workers configured'})`,
        workerNames: [...b.config.workerNames],
      });
    }
    const busy = (): PendingReason => ({
      code: PendingCodes.ALL_WORKERS_BUSY,
      message: tags.length
        ? `all ${connected} connected worker(s) of builder '${b.name}' with ${tags.join(', ')} are busy`
        : `all connected workers of builder '${b.name}' are busy`,
      workerNames: [...b.config.workerNames],
      ...(tags.length ? { workerTags: [...tags] } : {}),
    });
    this.setReason(b, pass, busy());
    if (free.length === 0) return;

    const tried = new Set<QueuedRequest>();
    // One walk over the queue per pass (not a restart from the head per request).
    const order = b.queue.pending();
    while (free.length > 0 && !this.stopping) {
      const q = await this.nextRequest(b, tried, order);
      if (!q) break;
      tried.add(q);
      const picked = await this.pickWorker(b, free, q, pass);
      if (!picked) continue;
      this.claimAndStart(b, picked.worker, q, picked.locks);
      if (tags.length) {
        // The picked worker now runs a build of this builder, so it alone left the free list: with
        // thousands of tagged workers, recomputing the list per build would scan them all each time.
        const at = free.indexOf(picked.worker);
        if (at >= 0) free.splice(at, 1);
        continue;
      }
      // The slots are reserved synchronously, so recomputing sees the new load.
      ({ free } = freeNow());
    }
  }

  /** "no worker with os=windows attached": the builder's tags no connected worker has (or that none has all of them). */
  private noTaggedWorker(b: Builder): PendingReason {
    const tags = b.config.workerTags;
    const names = b.config.workerNames;
    let missing: string[];
    if (names.length) {
      const connected = names.map((n) => this.deps.worker(n)).filter((w): w is WorkerSlot => !!w && w.remote.connected !== false);
      missing = tags.filter((t) => !connected.some((w) => w.tags?.has(t)));
    } else {
      missing = this.deps.missingTags?.(tags) ?? [...tags];
    }
    const among = names.length ? ` among the workers of builder '${b.name}' (${names.join(', ')})` : '';
    const message = missing.length
      ? `no worker with ${missing.join(', ')} attached${among}`
      : `no attached worker has all of ${tags.join(', ')}${among}; each tag is on some worker, but not all on one`;
    return { code: PendingCodes.NO_WORKER_WITH_TAGS, message, workerTags: [...tags], missingTags: missing, workerNames: [...names] };
  }

  private async nextRequest(b: Builder, tried: Set<QueuedRequest>, order: Iterator<QueuedRequest>): Promise<QueuedRequest | undefined> {
    const hook = b.config.nextBuild;
    if (!hook) {
      for (let r = order.next(); !r.done; r = order.next()) if (!tried.has(r.value) && r.value.state === 'pending') return r.value;
      return undefined;
    }
    const candidates = [...b.queue.pending()].filter((q) => !tried.has(q));
    if (candidates.length === 0) return undefined;
    try {
      const chosen = await hook(b.hookView(), candidates.map((q) => requestView(q.row)));
      if (!chosen) return undefined;
      const id = (chosen as { buildrequestid?: number; id?: number }).buildrequestid ?? (chosen as { id?: number }).id;
      return candidates.find((q) => q.row.id === id);
    } catch (err) {
      this.deps.log.error({ err, builder: b.name }, 'nextBuild hook raised; using the queue order');
      return candidates[0];
    }
  }

  /** Chooses a worker for `q` among `free`, or records why none fits. */
  private async pickWorker(b: Builder, free: WorkerSlot[], q: QueuedRequest, pass: number): Promise<{ worker: WorkerSlot; locks: LockHandle | null } | undefined> {
    const entry = this.entries.get(q.row.id);
    const setQReason = (r: PendingReason) => { q.reason = r; if (entry) entry.reasonPass = pass; };
    if (!b.config.nextWorker && !b.config.canStartBuild && !b.config.locks.length) {
      // No hook or lock can refuse one: the least loaded worker, found without sorting them all.
      let best = free[0];
      for (const w of free) if (byLoad(w, best!) < 0) best = w;
      return best && { worker: best, locks: null };
    }
    let ordered = [...free].sort(byLoad);
    if (b.config.nextWorker) {
      try {
        const chosen = await b.config.nextWorker(b.hookView(), ordered.map(workerView), requestView(q.row));
        const name = chosen ? (chosen as { name?: string }).name ?? String(chosen) : null;
        const w = ordered.find((x) => x.name === name);
        if (!w) {
          setQReason({ code: PendingCodes.NEXT_WORKER_DECLINED, message: `the nextWorker hook of builder '${b.name}' chose no worker` });
          return undefined;
        }
        ordered = [w];
      } catch (err) {
        this.deps.log.error({ err, builder: b.name }, 'nextWorker hook raised; trying the workers in load order');
      }
    }
    let refused = 0;
    let lockReason: PendingReason | null = null;
    for (const w of ordered) {
      if (b.config.canStartBuild) {
        let ok = false;
        try { ok = !!(await b.config.canStartBuild(b.hookView(), workerView(w), requestView(q.row))); } catch (err) {
          this.deps.log.error({ err, builder: b.name, worker: w.name }, 'canStartBuild hook raised; treated as a refusal');
        }
        if (q.state !== 'pending') return undefined; // cancelled while the hook ran
        if (!ok) { refused++; continue; }
      }
      if (b.config.locks.length) {
        const blocking = this.deps.locks.blockingLock(b.config.locks, w.name);
        if (blocking) {
          lockReason = {
            code: PendingCodes.WAITING_FOR_LOCK,
            message: `waiting for ${blocking.kind} lock '${blocking.name}'${blocking.workerName ? ` on worker ${blocking.workerName}` : ''} (held by ${blocking.holders.map((h) => h.owner).join(', ') || 'earlier waiters'})`,
            lock: blocking,
          };
          continue;
        }
        // Take the locks now, synchronously (they are free), so no other dispatch decision can
        // count on them while the claim is in flight; the build inherits them.
        const handle = this.deps.locks.tryAcquire(`build of ${b.name} (request ${q.row.id})`, b.config.locks, w.name);
        if (handle) return { worker: w, locks: handle };
        continue;
      }
      return { worker: w, locks: null };
    }
    if (lockReason) setQReason(lockReason);
    else if (refused) setQReason({ code: PendingCodes.CAN_START_BUILD_REFUSED, message: `canStartBuild of builder '${b.name}' refused ${refused} free worker(s)`, workers: ordered.map((w) => w.name) });
    return undefined;
  }

  /** Reserves the slots synchronously, claims atomically, then starts (or gives the slots back). */
  private claimAndStart(b: Builder, w: WorkerSlot, q: QueuedRequest, locks: LockHandle | null): void {
    q.state = 'claiming';
    b.markBusy(w.name, 1);
    w.running++;
    const releaseSlots = () => { b.markBusy(w.name, -1); w.running--; };
    const release = () => { releaseSlots(); locks?.release(); };
    const claim = this.deps.data.updates.claimBuildRequests([q.row.id]).then(
      async (ok) => {
        this.claimOutage = false;
        this.entries.delete(q.row.id);
        b.unindex(q);
        b.queue.remove(q);
        if (!ok) {
          // Claimed by another master, or cancelled/completed meanwhile: forget it.
          release();
          this.wake();
          return;
        }
        if (this.stopping || w.remote.connected === false) {
          // The claim came back too late: the master began stopping (no build may start now), or
          // the worker's connection is gone (the build would end RETRY at once). Give it back.
          release();
          const why = this.stopping ? 'the master is stopping' : `worker ${w.name} disconnected`;
          this.deps.log.info({ brid: q.row.id, builder: b.name, worker: w.name }, `claimed a build request as ${why}; unclaiming it so it runs later`);
          try {
            await this.deps.data.updates.unclaimBuildRequests([q.row.id]);
          } catch (err) {
            this.deps.log.error({ err, brid: q.row.id }, 'unclaiming a build request failed; startup recovery will re-queue it');
          }
          this.wake();
          return;
        }
        releaseSlots(); // the botmaster takes the slots (and the locks) over for the build's lifetime
        try {
          this.deps.startBuild(b, w, q.row, locks);
        } catch (err) {
          locks?.release();
          this.deps.log.error({ err, brid: q.row.id }, 'starting a build failed; unclaiming the request');
          void this.deps.data.updates.unclaimBuildRequests([q.row.id]).catch(() => {});
        }
        this.wake();
      },
      (err) => {
        const outage = outageOf(err);
        // Through a database outage one warning, not one error a second per pending request.
        if (!outage) this.deps.log.error({ err, brid: q.row.id }, 'claiming a build request failed; it stays pending');
        else if (!this.claimOutage) this.deps.log.warn({ reason: outage.reason }, `claiming build requests waits: ${describeOutage(outage)}`);
        if (outage) this.claimOutage = true;
        release();
        q.state = 'pending';
        setTimeout(() => this.wake(), outage ? CLAIM_RETRY_OUTAGE_MS : 1000).unref();
      },
    );
    this.claims.add(claim);
    void claim.finally(() => this.claims.delete(claim));
  }

  /** Buildbot's collapse: a new request collapses older pending ones of the same builder (they end SKIPPED). */
  private async collapseOlder(b: Builder, q: QueuedRequest): Promise<void> {
    try {
      const rule = b.config.collapseRequests;
      let victims: QueuedRequest[] = [];
      if (typeof rule === 'function') {
        for (const old of [...b.queue.pending()]) {
          if (old === q || old.row.id > q.row.id) continue;
          if (old.row.buildsetid === q.row.buildsetid || (await rule(this.deps.collapseContext, b.hookView(), requestView(q.row), requestView(old.row))) === true) victims.push(old);
        }
      } else if (rule === true) {
        q.collapseKey = await this.signature(q.row.buildsetid);
        // Older requests get their signature once, the first time a new request may collapse them.
        for (const old of [...b.queue.pending()]) {
          if (old.collapseKey === undefined && old !== q) {
            old.collapseKey = await this.signature(old.row.buildsetid);
            b.indexForCollapse(old);
          }
        }
        if (q.state !== 'pending') return;
        if (q.collapseKey) {
          victims = [...(b.collapseIndex.get(q.collapseKey) ?? [])].filter((o) => o !== q && o.row.id < q.row.id && o.state === 'pending');
        }
        b.indexForCollapse(q);
      }
      for (const old of victims) {
        if (old.state !== 'pending') continue;
        old.state = 'claiming';
        const ok = await this.deps.data.updates.claimBuildRequests([old.row.id]);
        this.entries.delete(old.row.id);
        b.unindex(old);
        b.queue.remove(old);
        if (!ok) continue;
        await this.deps.data.updates.completeBuildRequests([old.row.id], Results.SKIPPED);
        await this.deps.data.updates.maybeBuildsetComplete(old.row.buildsetid);
        this.deps.log.info({ brid: old.row.id, into: q.row.id, builder: b.name }, 'collapsed an older build request');
      }
    } catch (err) {
      this.deps.log.error({ err, brid: q.row.id }, 'collapsing build requests failed; they all stay pending');
    }
  }

  private signature(bsid: number): Promise<string | null> {
    let p = this.signatureCache.get(bsid);
    if (!p) {
      p = (async () => {
        const { reads } = this.deps.data;
        const [sss, changes] = await Promise.all([reads.getSourceStampsForBuildset(bsid), reads.getChangesForBuildset(bsid)]);
        return collapseSignature(sss as SourceStampRow[], new Set(changes.map((c) => c.sourcestampid)));
      })();
      this.signatureCache.set(bsid, p);
      // Bounded: a buildset's signature is needed only while its requests are pending.
      if (this.signatureCache.size > 10000) this.signatureCache.delete(this.signatureCache.keys().next().value!);
    }
    return p;
  }

  /**
   * Requests that did not start only because a build lock is taken, with the lock they wait for. Read
   * on demand (the locks resource), so this walks the pending requests instead of keeping an index.
   */
  lockWaits(): Array<{ brid: number; builderName: string; reason: PendingReason & { lock: LockState } }> {
    const out: Array<{ brid: number; builderName: string; reason: PendingReason & { lock: LockState } }> = [];
    for (const brid of this.entries.keys()) {
      const reason = this.pendingReason(brid);
      if (reason?.code !== PendingCodes.WAITING_FOR_LOCK || !reason.lock) continue;
      const b = this.deps.builderById(this.entries.get(brid)!.builderid);
      out.push({ brid, builderName: b?.name ?? '?', reason: reason as PendingReason & { lock: LockState } });
    }
    return out;
  }

  /** Why a request is still pending; null when the engine does not know it (claimed, complete, unknown). */
  pendingReason(brid: number): PendingReason | null {
    const e = this.entries.get(brid);
    if (!e) {
      for (const [builderid, m] of this.orphans) {
        if (m.has(brid)) return { code: PendingCodes.BUILDER_NOT_CONFIGURED, message: `no builder with id ${builderid} is configured on this master`, builderid };
      }
      return null;
    }
    if (this.stopping) return { code: PendingCodes.MASTER_STOPPING, message: 'the master is shutting down and starts no new builds' };
    const b = this.deps.builderById(e.builderid);
    if (!b) return null;
    const lastPass = this.builderPass.get(b);
    if (lastPass === undefined) return { code: PendingCodes.WAITING_FOR_DISPATCH, message: 'not yet considered by the dispatcher' };
    if (e.reasonPass === lastPass && e.q.reason) return e.q.reason;
    return b.reason;
  }
}

/** Accepts a BuildRequestRow or a BuildRequestResource (event payload). */
function toRow(data: unknown): BuildRequestRow | null {
  if (!data || typeof data !== 'object') return null;
  const d = data as Record<string, unknown>;
  const id = (d.buildrequestid ?? d.id) as number | undefined;
  if (typeof id !== 'number' || typeof d.builderid !== 'number') return null;
  return {
    id, buildsetid: Number(d.buildsetid), builderid: d.builderid, priority: Number(d.priority ?? 0),
    submitted_at: Number(d.submitted_at ?? 0), waited_for: !!d.waited_for, complete: !!d.complete,
    results: (d.results as number | null) ?? null, complete_at: (d.complete_at as number | null) ?? null,
    claimed_by_masterid: (d.claimed_by_masterid as number | null) ?? null, claimed_at: (d.claimed_at as number | null) ?? null,
  };
}

/** Least loaded first, then by name (a stable, predictable choice among equals). */
function byLoad(x: WorkerSlot, y: WorkerSlot): number {
  return (x.running - y.running) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0);
}

/** How often claims are tried again while the database is unavailable. */
const CLAIM_RETRY_OUTAGE_MS = 5000;
