/**
 * The master's latent workers: named ones (`latent({ name, provider })`) and the instances of
 * latent pools (`latentPool({ name, provider, min, max })`, instances named `POOL/1` ... `POOL/max`),
 * each a LatentWorker (latent-worker.ts) on its owner's provider. This module decides when they
 * run; everything else in the master sees them as ordinary named workers once attached.
 *
 *  - Demand: after each dispatch pass the request distributor tells, per builder whose requests it
 *    could not start, how many wait (`demand`). Latent workers that fit the builder (listed in its
 *    workerNames, or having its workerTags) and are starting count against that number; for the
 *    rest, idle ones are substantiated, one per waiting request, up to a pool's max. The builder's
 *    pending reason then says what it waits for: an instance starting, a provider paused after
 *    failures (and why), a pool at its max.
 *  - Idle: an attached latent worker with no build for `idleTimeout` seconds (Buildbot's
 *    build_wait_timeout) is paused (so no build is claimed on it meanwhile) and stopped; a pool
 *    keeps `min` instances running (`passDone`, pool-sizing.ts).
 *  - Failures: a start that fails or whose worker does not attach within `startTimeout` pauses the
 *    owner's provider (backoff.ts); when the pause ends its health is probed before anything starts.
 *  - Reconciliation (`reconcile`, before the worker server listens): the instances the providers
 *    list for this master are adopted by their worker (its worker reconnects and is used, or it is
 *    stopped after its timeouts) or, when no configured latent worker is theirs, stopped.
 */
import { LatentWorker, SubstantiationCancelled } from './latent-worker.js';
import { LatentStartError, type LatentInstance, type LatentProvider, type ListedInstance, type MasterAddress } from './provider.js';
import { FailureBackoff, type BackoffState } from './backoff.js';
import { LATENT_PROVIDER_KINDS, createLatentProvider, type LatentLog, type LatentProviderKinds, type LatentProviderSpec } from './registry.js';
import { idleToStop, instancesToStart } from './pool-sizing.js';
import { LatentPendingCodes } from './pending-codes.js';
import type { PendingReason } from '../../data/types.js';
import type { RemoteWorker } from '../types.js';

/** A named latent worker as the manager runs it (config/latent-workers.ts normalises it). */
export interface LatentWorkerSettings {
  readonly name: string;
  /** Its rendered password. */
  readonly password: string;
  readonly provider: LatentProviderSpec;
  /** Seconds without a build before it is stopped; null: never. */
  readonly idleTimeout: number | null;
  /** Seconds from the start until its worker must have attached. */
  readonly startTimeout: number;
  readonly tags: readonly string[];
  readonly maxBuilds: number | null;
  readonly properties: Readonly<Record<string, unknown>>;
  /** Seconds: the first pause after a failed start, and the longest. */
  readonly failureBackoff: { readonly initial: number; readonly max: number };
}

export interface LatentPoolSettings extends Omit<LatentWorkerSettings, 'password'> {
  readonly min: number;
  readonly max: number;
}

/** A builder as demand() needs it (process/builder.ts has more). */
export interface DemandBuilder {
  readonly name: string;
  readonly config: { readonly workerNames: readonly string[]; readonly workerTags: readonly string[]; readonly properties: Readonly<Record<string, unknown>> };
}

/** A connected worker's slot in the botmaster, as far as the manager looks at it. */
export interface LatentSlot { readonly running: number; paused: boolean }

export interface LatentManagerDeps {
  masterName: string;
  masterDir: string;
  log: LatentLog;
  /** The address instances are told, per provider spec (its masterAddress, else the default); read at each start. */
  masterAddress(spec: LatentProviderSpec): MasterAddress;
  /** The password of a latent pool's instance (password.ts). */
  passwordFor(workerName: string): string;
  /** The botmaster's slot of a connected worker, undefined while it has none. */
  slot(name: string): LatentSlot | undefined;
  /** Closes a connection no substantiation waits for. */
  disconnect(remote: RemoteWorker, reason: string): void;
  /** Asks the distributor for a pass (an instance stopped, a pause ended). */
  wake(): void;
  /** A latent worker's state (or its provider's failures) changed: the API publishes it. */
  changed?(name: string): void;
  kinds?: LatentProviderKinds;
  now?: () => number;
}

/** What the API shows of a latent worker (`/api/v2/workers`, field `latent`). */
export interface LatentWorkerView {
  provider: string;
  /** The latent pool it is an instance of; null for a named latent worker. */
  pool: string | null;
  state: LatentWorker['state'];
  /** The provider's id of the running instance (container id, pid, ...). */
  instance: string | null;
  /** When the state last changed (seconds since the epoch). */
  since: number;
  /** Failures of its provider in a row, the last one's message, and until when it is paused. */
  failures: number;
  lastError: string | null;
  pausedUntil: number | null;
}

interface Owner {
  readonly name: string;
  readonly pool: LatentPoolSettings | null;
  settings: LatentWorkerSettings | LatentPoolSettings;
  provider: LatentProvider;
  readonly backoff: FailureBackoff;
  /** The tags a builder may select it by before it attached: its own and its provider's platform. */
  tags: ReadonlySet<string>;
  units: Unit[];
  /** The health probe after a pause runs; nothing starts meanwhile. */
  probing: boolean;
  retryTimer: NodeJS.Timeout | null;
  /** JSON of the provider spec, to tell a reconfig that changed it. */
  specKey: string;
}

interface Unit {
  readonly name: string;
  readonly owner: Owner;
  worker: LatentWorker;
  remote: RemoteWorker | null;
  idleTimer: NodeJS.Timeout | null;
  /** A pool shrank below it, or its owner left the config: stopped when idle, then dropped. */
  retiring: boolean;
}

export class LatentManager {
  private owners = new Map<string, Owner>();
  private units = new Map<string, Unit>();
  /** Units counted for a builder in the current dispatch pass (each serves one waiting request). */
  private assigned = new Set<Unit>();
  private fitCache = new WeakMap<object, Owner[]>();
  private reconciled: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly now: () => number;

  constructor(private readonly deps: LatentManagerDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Every worker name the manager may run, with its password, for the worker server's credentials. */
  credentials(): Array<{ name: string; password: string }> {
    return [...this.units.values()].map((u) => ({ name: u.name, password: this.passwordOf(u) }));
  }

  /** The latent workers as the botmaster's named workers (settings of the latent worker or its pool). */
  workerConfigs(): Array<{ name: string; maxBuilds: number | null; properties: Readonly<Record<string, unknown>>; tags: readonly string[] }> {
    return [...this.units.values()].map((u) => ({ name: u.name, maxBuilds: u.owner.settings.maxBuilds, properties: u.owner.settings.properties, tags: u.owner.settings.tags }));
  }

  isLatent(name: string): boolean { return this.units.has(name); }

  /** Applies the config (start and reconfig): owners and units appear, change, or retire. */
  configure(workers: readonly LatentWorkerSettings[], pools: readonly LatentPoolSettings[]): void {
    this.fitCache = new WeakMap();
    const wanted = new Map<string, LatentWorkerSettings | LatentPoolSettings>([...workers.map((w) => [w.name, w] as const), ...pools.map((p) => [p.name, p] as const)]);
    const isPool = (s: LatentWorkerSettings | LatentPoolSettings): s is LatentPoolSettings => (s as LatentPoolSettings).max !== undefined;
    for (const [name, owner] of this.owners) {
      const next = wanted.get(name);
      // Kept when still configured as the same kind (a latent worker that became a pool of that name starts afresh).
      if (next && isPool(next) === (owner.pool !== null)) continue;
      for (const u of owner.units) this.retire(u);
      this.owners.delete(name);
    }
    for (const [name, settings] of wanted) {
      const pool = isPool(settings) ? settings : null;
      const specKey = JSON.stringify(settings.provider);
      let owner = this.owners.get(name);
      if (!owner) {
        owner = {
          name, pool, settings, provider: this.createProvider(name, settings.provider),
          backoff: new FailureBackoff({ initialMs: settings.failureBackoff.initial * 1000, maxMs: settings.failureBackoff.max * 1000 }, this.now),
          tags: new Set(), units: [], probing: false, retryTimer: null, specKey,
        };
        this.owners.set(name, owner);
      } else {
        owner.settings = settings;
        (owner as { pool: LatentPoolSettings | null }).pool = pool;
        // A new provider spec: instances start on it from now on; running ones keep theirs until they stop.
        if (owner.specKey !== specKey) { owner.provider = this.createProvider(name, settings.provider); owner.specKey = specKey; }
      }
      owner.tags = new Set([...settings.tags, ...platformTags(owner.provider)]);
      const names = pool ? Array.from({ length: pool.max }, (_, i) => `${name}/${i + 1}`) : [name];
      for (const n of names) {
        const unit = this.units.get(n);
        if (unit && unit.owner === owner) { unit.retiring = false; continue; }
        if (unit) this.retire(unit);
        const fresh: Unit = { name: n, owner, worker: this.newWorker(n, owner), remote: null, idleTimer: null, retiring: false };
        this.units.set(n, fresh);
      }
      owner.units = names.map((n) => this.units.get(n)!);
      // Units beyond a shrunk pool's max.
      for (const u of this.units.values()) if (u.owner === owner && !owner.units.includes(u)) this.retire(u);
    }
  }

  private createProvider(owner: string, spec: LatentProviderSpec): LatentProvider {
    return createLatentProvider(spec, this.deps.kinds ?? LATENT_PROVIDER_KINDS, { masterName: this.deps.masterName, masterDir: this.deps.masterDir, owner, log: this.deps.log });
  }

  private newWorker(name: string, owner: Owner): LatentWorker {
    const spec = owner.settings.provider;
    return new LatentWorker(owner.provider, {
      workerName: name, password: this.passwordFor(name, owner), master: () => this.deps.masterAddress(spec),
      missingTimeoutMs: owner.settings.startTimeout * 1000, log: this.deps.log, onState: () => this.deps.changed?.(name),
    });
  }

  private passwordFor(name: string, owner: Owner): string {
    return owner.pool ? this.deps.passwordFor(name) : (owner.settings as LatentWorkerSettings).password;
  }

  private passwordOf(u: Unit): string { return this.passwordFor(u.name, u.owner); }

  /** A unit no longer wanted: stopped now when idle, else once its build is done; then dropped. */
  private retire(u: Unit): void {
    if (u.retiring) return;
    u.retiring = true;
    if (u.worker.state === 'idle') { this.drop(u); return; }
    const slot = this.deps.slot(u.name);
    if (!slot || slot.running === 0) void this.stopUnit(u, 'it was removed from the configuration');
  }

  private drop(u: Unit): void {
    if (this.units.get(u.name) === u) this.units.delete(u.name);
    if (u.idleTimer) clearTimeout(u.idleTimer);
  }

  /** Health of every provider, logged once at start so a broken one is seen before a build needs it. */
  async checkHealth(): Promise<void> {
    await Promise.all([...this.owners.values()].map(async (o) => {
      if (!o.provider.health) return;
      const h = await o.provider.health().catch((err: Error) => ({ ok: false, message: err.message }));
      if (!h.ok) this.deps.log.warn({ latent: o.name, provider: o.provider.kind }, `latent ${o.pool ? 'pool' : 'worker'} ${o.name}: its provider cannot start instances now: ${h.message}`);
    }));
  }

  /**
   * At master start, before the worker server listens: instances the providers list for this master
   * are adopted by their latent worker, or stopped when none is theirs. Resolves when done; an
   * attach arriving meanwhile waits for it.
   */
  reconcile(): Promise<void> {
    this.reconciled = this.doReconcile().catch((err) => this.deps.log.error({ err }, 'reconciling latent worker instances failed; instances left from before may still run'));
    return this.reconciled;
  }

  private async doReconcile(): Promise<void> {
    const seen = new Set<string>();
    for (const owner of this.owners.values()) {
      if (!owner.provider.listInstances) continue;
      let listed: ListedInstance[];
      try {
        listed = await owner.provider.listInstances();
      } catch (err) {
        this.deps.log.warn({ err, latent: owner.name }, `could not list the instances of latent ${owner.pool ? 'pool' : 'worker'} ${owner.name}'s provider; those left from before are stopped when their worker next starts`);
        continue;
      }
      for (const instance of listed) {
        if (seen.has(instance.id)) continue;
        const unit = this.units.get(instance.workerName);
        // Another owner's provider of the same kind lists it too (one Docker engine): that owner decides.
        if (unit && unit.owner !== owner && unit.owner.provider.kind === owner.provider.kind) continue;
        seen.add(instance.id);
        if (unit && unit.owner === owner && !unit.retiring) {
          const { adopted, attached } = unit.worker.adopt(instance);
          if (adopted) {
            this.deps.log.info({ worker: unit.name, instance: instance.id }, `latent worker ${unit.name}: reusing instance ${instance.id} left running by an earlier run of this master`);
            attached.catch((err: Error) => this.deps.log.warn({ worker: unit.name, instance: instance.id }, `the instance left from before was stopped: ${err.message}`));
            continue;
          }
        }
        await this.stopListed(owner.provider, instance);
      }
    }
    const owners = new Set(this.owners.keys());
    for (const [kind, k] of Object.entries(this.deps.kinds ?? LATENT_PROVIDER_KINDS)) {
      if (!k.sweep) continue;
      try {
        await k.sweep({ masterName: this.deps.masterName, masterDir: this.deps.masterDir, log: this.deps.log }, owners);
      } catch (err) {
        this.deps.log.warn({ err, provider: kind }, `could not stop the ${kind} instances of latent workers no longer configured`);
      }
    }
  }

  private async stopListed(provider: LatentProvider, instance: ListedInstance): Promise<void> {
    this.deps.log.info({ worker: instance.workerName, instance: instance.id }, `stopping instance ${instance.id} of ${instance.workerName}, left running by an earlier run of this master and no longer needed`);
    try {
      await provider.stopInstance(instance as LatentInstance, { fast: true });
    } catch (err) {
      this.deps.log.error({ err, worker: instance.workerName, instance: instance.id }, `could not stop instance ${instance.id} left from before; it may still run`);
    }
  }

  /**
   * A worker attached (before the botmaster records it). False: it is a latent worker no
   * substantiation waits for (a stray instance), and it has been disconnected.
   */
  async attached(remote: RemoteWorker): Promise<boolean> {
    const unit = this.units.get(remote.name);
    if (!unit) return true;
    await this.reconciled;
    if (remote.connected === false) return false;
    if (!unit.worker.attached()) {
      this.deps.log.warn({ worker: remote.name, state: unit.worker.state }, `latent worker ${remote.name} attached while the master did not start it (${unit.worker.state}); disconnecting it`);
      this.deps.disconnect(remote, `latent worker ${remote.name} was not started by this master (or is being stopped); it is started when a build needs it`);
      return false;
    }
    unit.remote = remote;
    unit.owner.backoff.succeeded();
    return true;
  }

  /** A worker's connection went away: a latent worker's instance is stopped (Buildbot's insubstantiate on detach). */
  detached(remote: RemoteWorker): void {
    const unit = this.units.get(remote.name);
    if (!unit || unit.remote !== remote) return;
    unit.remote = null;
    if (unit.idleTimer) { clearTimeout(unit.idleTimer); unit.idleTimer = null; }
    void unit.worker.detached().then(() => this.afterStop(unit), (err) => {
      this.deps.log.error({ err, worker: unit.name }, `stopping the instance of latent worker ${unit.name} after its worker left failed; it may still run`);
      this.afterStop(unit);
    });
  }

  private afterStop(u: Unit): void {
    if (u.retiring) this.drop(u);
    else if (u.worker.provider !== u.owner.provider && u.worker.state === 'idle') u.worker = this.newWorker(u.name, u.owner);
    if (!this.stopping) this.deps.wake();
  }

  /** The owners whose workers may run a builder's builds (cached per builder config). */
  private fitting(b: DemandBuilder): Owner[] {
    let found = this.fitCache.get(b.config);
    if (!found) {
      const { workerNames: names, workerTags: tags } = b.config;
      found = [...this.owners.values()].filter((o) => {
        if (o.pool) return names.length === 0 && tags.length > 0 && tags.every((t) => o.tags.has(t));
        if (names.length && !names.includes(o.name)) return false;
        return tags.length ? tags.every((t) => o.tags.has(t)) : names.includes(o.name);
      });
      this.fitCache.set(b.config, found);
    }
    return found;
  }

  /** How many latent workers may run this builder's builds (the distributor counts no more waiting requests than that). */
  serves(b: DemandBuilder): number {
    let n = 0;
    for (const o of this.fitting(b)) n += o.units.length;
    return n;
  }

  /** A dispatch pass begins: every unit may be counted again. */
  passStarted(): void { this.assigned.clear(); }

  /**
   * `waiting` requests of builder `b` could not start in this pass. Counts the latent workers
   * starting for it, starts idle ones for the rest, and returns what the builder's pending reason
   * should say (null: nothing latent to tell, the distributor's own reason stands).
   */
  demand(b: DemandBuilder, waiting: number): PendingReason | null {
    if (waiting <= 0 || this.stopping) return null;
    const owners = this.fitting(b);
    if (!owners.length) return null;
    let need = waiting;
    const coming: Unit[] = [];
    for (const o of owners) {
      for (const u of o.units) {
        if (need <= 0) break;
        if (this.assigned.has(u) || u.retiring) continue;
        // Starting, or attached but not yet known to the botmaster: it will take a request.
        const s = u.worker.state;
        if (s === 'substantiating' || (s === 'substantiated' && !this.deps.slot(u.name))) { this.assigned.add(u); coming.push(u); need--; }
      }
    }
    const paused: Owner[] = [];
    const full: Owner[] = [];
    for (const o of owners) {
      if (need <= 0) break;
      if (o.backoff.paused || o.probing) { paused.push(o); continue; }
      const idle = o.units.filter((u) => u.worker.state === 'idle' && !u.retiring && !this.assigned.has(u));
      const live = o.units.filter((u) => isLive(u)).length;
      const n = o.pool ? instancesToStart({ min: 0, max: o.pool.max, live }, need) : Math.min(need, idle.length);
      for (const u of idle.slice(0, n)) { this.start(u, b); this.assigned.add(u); coming.push(u); need--; }
      if (o.pool && need > 0 && live + n >= o.pool.max) full.push(o);
    }
    return this.reason(b, coming, paused, full);
  }

  private reason(b: DemandBuilder, coming: Unit[], paused: Owner[], full: Owner[]): PendingReason | null {
    const pausedText = paused.map((o) => {
      const s = o.backoff.state();
      const left = Math.ceil(o.backoff.remainingMs() / 1000);
      return `${couldNot(o)}: ${s.lastError ?? 'its provider is unhealthy'} (${s.failures} failure${s.failures === 1 ? '' : 's'} in a row; ${o.probing ? 'checking its provider now' : `trying again in ${left} s`})`;
    });
    if (coming.length) {
      const names = coming.map((u) => u.name);
      const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
      return {
        code: LatentPendingCodes.LATENT_WORKER_STARTING,
        message: `waiting for latent worker${names.length === 1 ? '' : 's'} ${shown} to start for builder '${b.name}'${pausedText.length ? `; ${pausedText.join('; ')}` : ''}`,
        workerNames: names,
      };
    }
    if (paused.length) {
      return { code: LatentPendingCodes.LATENT_PROVIDER_PAUSED, message: pausedText.join('; '), latent: paused.map((o) => ({ name: o.name, ...o.backoff.state() })) };
    }
    if (full.length) {
      return {
        code: LatentPendingCodes.LATENT_POOL_FULL,
        message: full.map((o) => `all ${o.pool!.max} instances of latent pool ${o.name} are running builds (max ${o.pool!.max})`).join('; '),
      };
    }
    return null;
  }

  private start(u: Unit, b: DemandBuilder | null): void {
    if (u.worker.provider !== u.owner.provider) u.worker = this.newWorker(u.name, u.owner);
    const build = b ? { builderName: b.name, properties: b.config.properties } : null;
    this.deps.log.info({ worker: u.name, builder: b?.name, provider: u.owner.provider.kind }, b ? `starting latent worker ${u.name} for builder '${b.name}'` : `starting latent worker ${u.name} to keep latent pool ${u.owner.name} at its min`);
    u.worker.substantiate(build).catch((err: Error) => {
      if (err instanceof SubstantiationCancelled || this.stopping) return;
      this.failed(u.owner, err instanceof LatentStartError ? err.reason : err.message);
      this.deps.changed?.(u.name);
    });
  }

  private failed(o: Owner, message: string): void {
    const delay = o.backoff.failed(message);
    this.deps.log.warn({ latent: o.name, failures: o.backoff.state().failures, retryInMs: delay }, `${couldNot(o)}: ${message}; nothing is started for it for ${Math.round(delay / 1000)} s (failureBackoff)`);
    if (o.retryTimer) clearTimeout(o.retryTimer);
    o.retryTimer = setTimeout(() => { o.retryTimer = null; void this.pauseEnded(o); }, delay);
    o.retryTimer.unref?.();
    this.deps.wake();
  }

  /** The pause is over: probe the provider (when it can be) before the distributor starts anything on it. */
  private async pauseEnded(o: Owner): Promise<void> {
    if (this.stopping) return;
    if (o.provider.health) {
      o.probing = true;
      const h = await o.provider.health().catch((err: Error) => ({ ok: false, message: err.message }));
      o.probing = false;
      if (!h.ok) { this.failed(o, h.message); return; }
    }
    this.deps.wake();
  }

  /**
   * A dispatch pass ended: idle attached latent workers get their idle timer (once; a build on them
   * clears it), and latent pools are topped up to their min.
   */
  passDone(): void {
    if (this.stopping) return;
    for (const o of this.owners.values()) {
      const live = o.units.filter(isLive).length;
      if (o.pool && !o.backoff.paused && !o.probing) {
        const warm = instancesToStart({ min: o.pool.min, max: o.pool.max, live }, 0);
        for (const u of o.units.filter((x) => x.worker.state === 'idle' && !x.retiring).slice(0, warm)) this.start(u, null);
      }
      const idle: Unit[] = [];
      for (const u of o.units) {
        const slot = u.worker.state === 'substantiated' ? this.deps.slot(u.name) : undefined;
        if (slot && slot.running === 0 && !slot.paused) idle.push(u);
        else if (u.idleTimer && (!slot || slot.running > 0)) { clearTimeout(u.idleTimer); u.idleTimer = null; }
      }
      const timeout = o.settings.idleTimeout;
      // The highest-numbered idle instances go first; the rest are the pool's warm ones.
      const stoppable = o.pool ? idleToStop({ min: o.pool.min, max: o.pool.max, live }, idle.length) : idle.length;
      idle.forEach((u, i) => {
        const mayStop = i >= idle.length - stoppable && timeout !== null;
        if (!mayStop) { if (u.idleTimer) { clearTimeout(u.idleTimer); u.idleTimer = null; } return; }
        if (u.idleTimer) return;
        u.idleTimer = setTimeout(() => { u.idleTimer = null; this.idleTimeout(u); }, timeout * 1000);
        u.idleTimer.unref?.();
      });
    }
    for (const u of this.units.values()) if (u.retiring && u.owner.units.indexOf(u) < 0 && u.worker.state === 'substantiated' && (this.deps.slot(u.name)?.running ?? 0) === 0) void this.stopUnit(u, 'it was removed from the configuration');
  }

  private idleTimeout(u: Unit): void {
    const slot = this.deps.slot(u.name);
    if (this.stopping || u.worker.state !== 'substantiated' || !slot || slot.running > 0) return;
    const o = u.owner;
    if (o.pool && o.units.filter(isLive).length - 1 < o.pool.min) return;
    void this.stopUnit(u, `it ran no build for ${o.settings.idleTimeout} s (idleTimeout)`);
  }

  /** Pauses the slot (no build is claimed on it meanwhile) and stops the instance. */
  private async stopUnit(u: Unit, why: string): Promise<void> {
    const slot = this.deps.slot(u.name);
    if (slot) slot.paused = true;
    if (u.idleTimer) { clearTimeout(u.idleTimer); u.idleTimer = null; }
    this.deps.log.info({ worker: u.name, instance: u.worker.instanceId }, `stopping latent worker ${u.name}: ${why}`);
    try {
      await u.worker.insubstantiate();
    } catch (err) {
      this.deps.log.error({ err, worker: u.name }, `stopping latent worker ${u.name} failed; its instance may still run`);
    }
    this.afterStop(u);
  }

  /** What the API shows of a latent worker; null when the name is no latent worker's. */
  view(name: string): LatentWorkerView | null {
    const u = this.units.get(name);
    if (!u) return null;
    const s: BackoffState = u.owner.backoff.state();
    return {
      provider: u.owner.provider.kind, pool: u.owner.pool ? u.owner.name : null, state: u.worker.state, instance: u.worker.instanceId,
      since: Math.floor(u.worker.since / 1000), failures: s.failures, lastError: s.lastError, pausedUntil: s.pausedUntil === null ? null : Math.floor(s.pausedUntil / 1000),
    };
  }

  /** Master stop (after the builds): every instance is stopped, and nothing starts again. */
  async shutdown(): Promise<void> {
    this.stopping = true;
    await this.reconciled;
    for (const o of this.owners.values()) if (o.retryTimer) clearTimeout(o.retryTimer);
    await Promise.all([...this.units.values()].map(async (u) => {
      if (u.idleTimer) clearTimeout(u.idleTimer);
      try { await u.worker.shutdown(); } catch (err) {
        this.deps.log.error({ err, worker: u.name }, `stopping latent worker ${u.name} failed while the master stopped; its instance may still run (the next start of the master stops it)`);
      }
    }));
  }
}

function isLive(u: Unit): boolean {
  const s = u.worker.state;
  return s === 'substantiating' || s === 'substantiated';
}

function platformTags(p: LatentProvider): string[] {
  return [...(p.platform?.os ? [`os=${p.platform.os}`] : []), ...(p.platform?.arch ? [`arch=${p.platform.arch}`] : [])];
}

function couldNot(o: Owner): string {
  return o.pool ? `latent pool ${o.name} could not start an instance` : `latent worker ${o.name} could not be started`;
}
