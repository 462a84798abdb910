/**
 * The botmaster: owns the builders and the connected workers of this master, starts a Build for
 * each request the distributor claims, and tracks running builds (to stop them, and to wait for
 * them on shutdown). A reconfig swaps builder and worker configs; running builds keep theirs.
 *
 * Pool workers (`POOL/NAME`) are not in the config: their entry is made when they attach, from
 * their pool's settings, and dropped when the pool's forgetAfter has passed (pool-forget.ts). Every
 * connected worker is indexed by its effective tags (workers/tags.ts), which builders with
 * `workerTags` select on.
 */
import { ConcurrencyGroups } from './concurrency.js';
import type { BuilderConfig } from './builder-config.js';
import type { WorkerConfig, WorkerPoolConfig } from '../workers/worker-config.js';
import { WorkerTagIndex } from './tag-index.js';
import { PoolWorkerForgetter } from './pool-forget.js';
import { WorkerSelection, poolOfWorkerName, poolWorkerConfig } from './worker-selection.js';
import type { BuildRequestRow } from '../data/updates-api.js';
import type { RemoteWorker } from '../workers/types.js';
import { Build, type BuildServices } from './build.js';
import { Builder } from './builder.js';
import { childLogger, type Logger } from 'mastro-protocol';
import { RequestDistributor, type LatentDemand, type WorkerSlot } from './request-distributor.js';
import type { LockHandle } from './locks.js';
import { Results, resultName, type Result } from '../model/results.js';

interface WorkerEntry {
  config: WorkerConfig;
  workerid: number;
  slot: IndexedSlot | null;
  /** A pool worker's pool; null for a named worker. */
  pool: string | null;
}

type IndexedSlot = WorkerSlot & { tags: ReadonlySet<string> };

export interface BotmasterOptions {
  services: BuildServices;
  /** First argument passed to collapseRequests functions. */
  collapseContext?: unknown;
  /** Latent workers, started when requests wait for them (the distributor tells them). */
  latent?: LatentDemand;
}

export class Botmaster {
  readonly builders = new Map<string, Builder>();
  private readonly buildersById = new Map<number, Builder>();
  private readonly workers = new Map<string, WorkerEntry>();
  private readonly running = new Map<Build, Builder>();
  readonly distributor: RequestDistributor;
  readonly concurrency: ConcurrencyGroups;
  private readonly log: Logger;
  private stopping = false;
  private started = false;
  /** Workers paused through the API; the pause outlives reconnects. */
  private readonly pausedWorkers = new Set<string>();
  /** Builds running (or being claimed) per worker name, across its connections (see newSlot). */
  private readonly load = new Map<string, number>();
  private readonly selection = new WorkerSelection();
  /** Connected workers by effective tag, for builders that select by workerTags. */
  readonly tagIndex = new WorkerTagIndex<IndexedSlot>();
  readonly forgetter: PoolWorkerForgetter;

  constructor(private readonly opts: BotmasterOptions) {
    const svc = opts.services;
    this.log = childLogger(svc.log, { component: 'botmaster' });
    this.distributor = new RequestDistributor({
      data: svc.data, masterid: svc.masterid, locks: svc.locks, log: this.log,
      builderById: (id) => this.buildersById.get(id),
      builders: () => this.builders.values(),
      worker: (name) => this.workers.get(name)?.slot ?? undefined,
      workersWithTags: (tags) => this.tagIndex.matching(tags),
      missingTags: (tags) => this.tagIndex.missing(tags),
      startBuild: (b, w, row, locks) => this.startBuild(b, w, row, locks),
      collapseContext: opts.collapseContext, latent: opts.latent,
    });
    // Overlap policies of schedulers: newer buildsets of a concurrency group supersede older ones.
    this.concurrency = new ConcurrencyGroups({ ...svc.data, runningBuildsFor: (brids) => this.runningBuilds().filter((b) => b.brids.some((id) => brids.has(id))), log: this.log });
    // A released lock may let a waiting request start.
    const prev = svc.locks.onChange;
    svc.locks.onChange = () => { prev?.(); this.distributor.wake(); };
    this.forgetter = new PoolWorkerForgetter({
      forget: (ids) => svc.data.updates.forgetWorkers(ids), log: this.log,
      onForgotten: (name) => { if (this.workers.get(name)?.slot === null) this.workers.delete(name); },
    });
  }

  get services(): BuildServices { return this.opts.services; }

  /**
   * Applies builders and workers (at start and on reconfig). Builders that disappear keep their
   * running builds to the end; their pending requests wait until a builder of that name returns.
   */
  async configure(builders: readonly BuilderConfig[], workers: readonly WorkerConfig[], pools: readonly WorkerPoolConfig[] = []): Promise<void> {
    const { updates } = this.services.data;
    const masterid = this.services.masterid;
    const wanted = new Map(builders.map((b) => [b.name, b]));
    for (const [name, b] of this.builders) {
      if (wanted.has(name)) continue;
      this.builders.delete(name);
      this.buildersById.delete(b.builderid);
      this.distributor.builderRemoved(b);
      this.log.info({ builder: name }, 'builder removed by reconfig');
    }
    const added: Builder[] = [];
    // The database round trips of all builders at once (PostgreSQL runs them on its pool's
    // connections): one after the other, 200 builders took 1.8 s of a master's start on PostgreSQL.
    const fresh = builders.filter((cfg) => !this.builders.has(cfg.name));
    const freshIds = await Promise.all(fresh.map((cfg) => updates.findBuilderId(cfg.name)));
    const idOf = new Map(fresh.map((cfg, i) => [cfg.name, freshIds[i]!]));
    for (const cfg of builders) {
      const existing = this.builders.get(cfg.name);
      if (existing) { existing.config = cfg; continue; }
      const builderid = idOf.get(cfg.name)!;
      const b = new Builder(cfg, builderid);
      this.builders.set(cfg.name, b);
      this.buildersById.set(builderid, b);
      added.push(b);
    }
    await Promise.all([...this.builders.values()].map((b) => updates.updateBuilderInfo(b.builderid, { description: b.config.description, tags: [...b.config.tags] })));
    await updates.updateBuilderList(masterid, [...this.builders.keys()]);

    this.selection.setPools(pools);
    this.selection.setWorkerTags(workers);
    this.forgetter.configure(pools);
    const wantedWorkers = new Map(workers.map((w) => [w.name, w]));
    for (const [name, entry] of [...this.workers]) {
      const pool = this.selection.pool(entry.pool);
      if (entry.pool !== null && pool) {
        entry.config = poolWorkerConfig(name, pool);
        if (entry.slot) {
          Object.assign(entry.slot, { maxBuilds: pool.maxBuilds, properties: pool.properties });
          this.retag(entry.slot);
        }
        await updates.workerConfigured(entry.workerid, masterid, this.selection.builderidsFor(this.builders.values(), name, entry.slot?.tags ?? null));
        continue;
      }
      if (entry.pool === null && wantedWorkers.has(name)) continue;
      // Removed from the config (or its pool was): the worker manager disconnects it.
      if (entry.slot) this.tagIndex.remove(entry.slot);
      this.workers.delete(name);
    }
    for (const cfg of workers) {
      const entry = this.workers.get(cfg.name);
      if (entry?.slot) this.retag(entry.slot);
      const builderids = this.selection.builderidsFor(this.builders.values(), cfg.name, entry?.slot?.tags ?? null);
      const workerid = entry?.workerid ?? (await updates.findWorkerId(cfg.name));
      await updates.workerConfigured(workerid, masterid, builderids);
      if (entry) {
        entry.config = cfg;
        if (entry.slot) Object.assign(entry.slot, { maxBuilds: cfg.maxBuilds, properties: cfg.properties });
      } else {
        this.workers.set(cfg.name, { config: cfg, workerid, slot: null, pool: null });
      }
    }
    for (const b of added) this.distributor.builderAdded(b);
    this.distributor.wake();
  }

  /** Starts dispatching (after configure): loads the pending requests with one query. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.distributor.start();
    try {
      this.forgetter.adopt(await this.services.data.updates.absentPoolWorkers());
    } catch (err) {
      this.log.warn({ err }, 'could not read the absent pool workers; those gone for their forgetAfter stay listed until they come back and leave again');
    }
  }

  /** The slot of a connected worker (latent workers pause theirs before they are stopped). */
  slotOf(name: string): WorkerSlot | undefined { return this.workers.get(name)?.slot ?? undefined; }

  /** The builders (name, builddir) a worker serves by name alone, for the worker manager's setBuilderList. */
  builderListFor(workerName: string): Array<{ name: string; builddir: string }> {
    return [...this.builders.values()].filter((b) => b.config.workerTags.length === 0 && b.config.workerNames.includes(workerName))
      .map((b) => ({ name: b.name, builddir: b.config.workerbuilddir }));
  }

  /** The builders a connecting worker serves because of its tags; the worker manager adds them to its builder list on attach. */
  taggedBuildersFor(remote: RemoteWorker): Array<{ name: string; builddir: string }> {
    return this.selection.taggedBuildersFor(this.builders.values(), remote);
  }

  /** Re-reads a connected worker's tags (its pool's may have changed) and re-indexes it. */
  private retag(slot: IndexedSlot): void {
    const tags = this.selection.tagsOf(slot.remote).tags;
    if (tags.size === slot.tags.size && [...tags].every((t) => slot.tags.has(t))) return;
    this.tagIndex.remove(slot);
    (slot as { tags: ReadonlySet<string> }).tags = tags;
    this.tagIndex.add(slot);
  }

  async workerAttached(remote: RemoteWorker): Promise<void> {
    let entry = this.workers.get(remote.name);
    const poolName = poolOfWorkerName(remote.name);
    const pool = this.selection.pool(poolName);
    if (!entry && poolName !== null && pool) {
      const workerid = await this.services.data.updates.findWorkerId(remote.name);
      // It may have left, or another connection of the name may have made the entry, while the id was read.
      if (remote.connected === false) return;
      entry = this.workers.get(remote.name) ?? { config: poolWorkerConfig(remote.name, pool), workerid, slot: null, pool: poolName };
      this.workers.set(remote.name, entry);
    }
    if (!entry) {
      this.log.warn({ worker: remote.name }, 'an unconfigured worker attached; ignoring it');
      return;
    }
    const { tags, os, arch, ignored } = this.selection.tagsOf(remote);
    if (ignored.length) {
      this.log.warn({ worker: remote.name, ignored }, 'the worker reported tags that are not valid tags (key=value or a flag; os= and arch= come from its platform); builders do not select on them');
    }
    if (entry.slot) this.tagIndex.remove(entry.slot);
    const slot = this.newSlot(remote, entry.config, tags);
    entry.slot = slot;
    this.tagIndex.add(slot);
    this.forgetter.attached(remote.name);
    const { updates } = this.services.data;
    try {
      if (entry.pool !== null || this.selection.hasTagBuilders(this.builders.values())) await updates.workerConfigured(entry.workerid, this.services.masterid, this.selection.builderidsFor(this.builders.values(), remote.name, tags));
      await updates.workerConnected({
        workerid: entry.workerid, masterid: this.services.masterid, workerinfo: { ...remote.info },
        platform: { pool: entry.pool, tags: [...tags], os, arch },
      });
    } catch (err) {
      this.log.error({ err, worker: remote.name }, 'recording the worker connection failed');
    }
    this.log.info({ worker: remote.name }, 'worker attached');
    this.distributor.wake();
  }

  /**
   * A slot for a new connection of a worker. Its `running` count lives per worker name, not per
   * connection: builds of an earlier connection may still be winding down (a replaced half-open
   * connection closes after the new one attached), and when they end they must free the worker
   * that is connected now, or a worker with maxBuilds stays "busy" forever.
   */
  private newSlot(remote: RemoteWorker, config: WorkerConfig, tags: ReadonlySet<string>): IndexedSlot {
    const load = this.load;
    const name = remote.name;
    return {
      name, remote, maxBuilds: config.maxBuilds, paused: this.stopping || this.pausedWorkers.has(name), properties: config.properties, tags,
      get running() { return load.get(name) ?? 0; },
      set running(n: number) { if (n > 0) load.set(name, n); else load.delete(name); },
    };
  }

  async workerDetached(remote: RemoteWorker): Promise<void> {
    const entry = this.workers.get(remote.name);
    if (entry?.slot?.remote === remote) {
      this.tagIndex.remove(entry.slot);
      entry.slot = null;
    }
    const poolName = entry ? entry.pool : poolOfWorkerName(remote.name);
    // Builds on this worker notice through remote.onDisconnect and end RETRY.
    const workerid = entry?.workerid ?? (await this.services.data.updates.findWorkerId(remote.name));
    try {
      await this.services.data.updates.workerDisconnected({ workerid, masterid: this.services.masterid });
    } catch (err) {
      this.log.error({ err, worker: remote.name }, 'recording the worker disconnection failed');
    }
    // A pool worker that left (and was not replaced by a newer connection) is forgotten after its pool's forgetAfter.
    if (poolName !== null && !entry?.slot) this.forgetter.detached(remote.name, workerid, poolName);
    this.log.info({ worker: remote.name }, 'worker detached');
  }

  private startBuild(b: Builder, slot: WorkerSlot, row: BuildRequestRow, locks: LockHandle | null): void {
    const entry = this.workers.get(slot.name);
    const build = new Build(this.services, {
      builder: b.config, builderid: b.builderid, worker: slot.remote, workerid: entry?.workerid ?? 0,
      workerProperties: slot.properties, requests: [row], heldLocks: locks,
    });
    b.markBusy(slot.name, 1);
    slot.running++;
    b.running.add(build);
    this.running.set(build, b);
    void build.run().then(
      (results) => this.buildDone(b, slot, build, row, results),
      (err) => { this.log.error({ err }, 'build crashed'); this.buildDone(b, slot, build, row, Results.EXCEPTION); },
    );
  }

  private buildDone(b: Builder, slot: WorkerSlot, build: Build, row: BuildRequestRow, results: Result): void {
    b.markBusy(slot.name, -1);
    slot.running--;
    b.running.delete(build);
    this.running.delete(build);
    // Debug, not info: at hundreds of builds a second a line per build is a cost and noise; the API has them all.
    this.log.debug({ builder: b.name, buildid: build.buildid, number: build.number, results: resultName(results) }, 'build finished');
    if (results === Results.RETRY && !this.stopping) {
      // The request was unclaimed; queue it again at once (the 'unclaimed' event is de-duplicated).
      this.distributor.addRequest({ ...row, claimed_by_masterid: null, claimed_at: null });
    }
    this.distributor.wake();
  }

  /** Pauses or resumes a worker (the API's pause/unpause): a paused worker gets no new builds. */
  setWorkerPaused(workerName: string, paused: boolean): void {
    if (paused) this.pausedWorkers.add(workerName); else this.pausedWorkers.delete(workerName);
    const slot = this.workers.get(workerName)?.slot;
    if (slot) slot.paused = paused || this.stopping;
    if (!paused) this.distributor.wake();
  }

  /** Running builds (for the API and shutdown). */
  runningBuilds(): Build[] { return [...this.running.keys()]; }

  findBuild(buildid: number): Build | undefined {
    for (const build of this.running.keys()) if (build.buildid === buildid) return build;
    return undefined;
  }

  /** Stops a running build (the REST `stop` action): CANCELLED unless `results` says otherwise. */
  stopBuild(buildid: number, reason: string, results: Result = Results.CANCELLED): boolean {
    const build = this.findBuild(buildid);
    if (!build) return false;
    build.stop(reason, results);
    return true;
  }

  /**
   * Graceful shutdown: no new builds; running builds get `graceMs` to finish, then are stopped as
   * RETRY (their requests are unclaimed and run again after a restart). Never a silent CANCELLED.
   * Resolves when every build has reported, or after `reportTimeoutMs` more (startup recovery
   * settles whatever is left).
   */
  async shutdown(opts: { graceMs: number; reportTimeoutMs?: number }): Promise<void> {
    this.stopping = true;
    this.distributor.stop();
    this.forgetter.close();
    for (const e of this.workers.values()) if (e.slot) e.slot.paused = true;
    // Claims in flight are given back (not started) now; wait so none is left claimed by a master that is gone.
    await withTimeout(this.distributor.claimsSettled(), opts.reportTimeoutMs ?? 30_000);
    const all = () => Promise.all(this.runningBuilds().map((b) => b.finished));
    if (this.running.size === 0) return;
    this.log.info({ builds: this.running.size, graceMs: opts.graceMs }, 'waiting for running builds to finish');
    const finishedInTime = await withTimeout(all(), opts.graceMs);
    if (finishedInTime) return;
    for (const build of this.runningBuilds()) build.stop('master shutting down', Results.RETRY);
    await withTimeout(all(), opts.reportTimeoutMs ?? 30_000);
  }
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((r) => { timer = setTimeout(() => r(false), Math.max(0, ms)); });
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
