/**
 * The botmaster: owns the builders and the connected workers of this master, starts a Build for
 * each request the distributor claims, and tracks running builds (to stop them, and to wait for
 * them on shutdown). A reconfig swaps builder and worker configs; running builds keep theirs.
 */
import { ConcurrencyGroups } from './concurrency.js';
import type { BuilderConfig, WorkerConfig } from '../config/types.js';
import type { BuildRequestRow } from '../data/updates-api.js';
import type { RemoteWorker } from '../workers/types.js';
import { Build, type BuildServices } from './build.js';
import { Builder } from './builder.js';
import { childLogger, type EngineLogger } from './engine-data.js';
import { RequestDistributor, type WorkerSlot } from './request-distributor.js';
import type { LockHandle } from './locks.js';
import { Results, resultName, type Result } from './results.js';

interface WorkerEntry {
  config: WorkerConfig;
  workerid: number;
  slot: WorkerSlot | null;
}

export interface BotmasterOptions {
  services: BuildServices;
  /** First argument passed to collapseRequests functions. */
  collapseContext?: unknown;
}

export class Botmaster {
  readonly builders = new Map<string, Builder>();
  private readonly buildersById = new Map<number, Builder>();
  private readonly workers = new Map<string, WorkerEntry>();
  private readonly running = new Map<Build, Builder>();
  readonly distributor: RequestDistributor;
  readonly concurrency: ConcurrencyGroups;
  private readonly log: EngineLogger;
  private stopping = false;
  private started = false;
  /** Workers paused through the API; the pause outlives reconnects. */
  private readonly pausedWorkers = new Set<string>();
  /** Builds running (or being claimed) per worker name, across its connections (see newSlot). */
  private readonly load = new Map<string, number>();

  constructor(private readonly opts: BotmasterOptions) {
    const svc = opts.services;
    this.log = childLogger(svc.log, { component: 'botmaster' });
    this.distributor = new RequestDistributor({
      data: svc.data, masterid: svc.masterid, locks: svc.locks, log: this.log,
      builderById: (id) => this.buildersById.get(id),
      builders: () => this.builders.values(),
      worker: (name) => this.workers.get(name)?.slot ?? undefined,
      startBuild: (b, w, row, locks) => this.startBuild(b, w, row, locks),
      collapseContext: opts.collapseContext,
    });
    // Overlap policies of schedulers: newer buildsets of a concurrency group supersede older ones.
    this.concurrency = new ConcurrencyGroups({ ...svc.data, runningBuildsFor: (brids) => this.runningBuilds().filter((b) => b.brids.some((id) => brids.has(id))), log: this.log });
    // A released lock may let a waiting request start.
    const prev = svc.locks.onChange;
    svc.locks.onChange = () => { prev?.(); this.distributor.wake(); };
  }

  get services(): BuildServices { return this.opts.services; }

  /**
   * Applies builders and workers (at start and on reconfig). Builders that disappear keep their
   * running builds to the end; their pending requests wait until a builder of that name returns.
   */
  async configure(builders: readonly BuilderConfig[], workers: readonly WorkerConfig[]): Promise<void> {
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

    const wantedWorkers = new Map(workers.map((w) => [w.name, w]));
    for (const name of [...this.workers.keys()]) if (!wantedWorkers.has(name)) this.workers.delete(name);
    for (const cfg of workers) {
      const builderids = [...this.builders.values()].filter((b) => b.config.workerNames.includes(cfg.name)).map((b) => b.builderid);
      const entry = this.workers.get(cfg.name);
      const workerid = entry?.workerid ?? (await updates.findWorkerId(cfg.name));
      await updates.workerConfigured(workerid, masterid, builderids);
      if (entry) {
        entry.config = cfg;
        if (entry.slot) Object.assign(entry.slot, { maxBuilds: cfg.maxBuilds, properties: cfg.properties });
      } else {
        this.workers.set(cfg.name, { config: cfg, workerid, slot: null });
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
  }

  /** The builders (name, builddir) a worker serves, for the worker manager's setBuilderList. */
  builderListFor(workerName: string): Array<{ name: string; builddir: string }> {
    return [...this.builders.values()].filter((b) => b.config.workerNames.includes(workerName)).map((b) => ({ name: b.name, builddir: b.config.workerbuilddir }));
  }

  async workerAttached(remote: RemoteWorker): Promise<void> {
    const entry = this.workers.get(remote.name);
    if (!entry) {
      this.log.warn({ worker: remote.name }, 'an unconfigured worker attached; ignoring it');
      return;
    }
    entry.slot = this.newSlot(remote, entry.config);
    try {
      await this.services.data.updates.workerConnected({ workerid: entry.workerid, masterid: this.services.masterid, workerinfo: { ...remote.info } });
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
  private newSlot(remote: RemoteWorker, config: WorkerConfig): WorkerSlot {
    const load = this.load;
    const name = remote.name;
    return {
      name, remote, maxBuilds: config.maxBuilds, paused: this.stopping || this.pausedWorkers.has(name), properties: config.properties,
      get running() { return load.get(name) ?? 0; },
      set running(n: number) { if (n > 0) load.set(name, n); else load.delete(name); },
    };
  }

  async workerDetached(remote: RemoteWorker): Promise<void> {
    const entry = this.workers.get(remote.name);
    if (entry?.slot?.remote === remote) entry.slot = null;
    // Builds on this worker notice through remote.onDisconnect and end RETRY.
    const workerid = entry?.workerid ?? (await this.services.data.updates.findWorkerId(remote.name));
    try {
      await this.services.data.updates.workerDisconnected({ workerid, masterid: this.services.masterid });
    } catch (err) {
      this.log.error({ err, worker: remote.name }, 'recording the worker disconnection failed');
    }
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
