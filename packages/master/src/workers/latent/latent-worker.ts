/**
 * The life of one latent worker, Buildbot's `AbstractLatentWorker` (`worker/latent.py`) in small:
 *
 *   idle --substantiate()--> substantiating --attached()--> substantiated
 *     ^                          |  start failed, timeout,        |
 *     +------- insubstantiate() -+  insubstantiate()              | insubstantiate(), detached()
 *     +-----------------------------------------------------------+
 *
 * `substantiate(build)` asks the provider for an instance and resolves once the instance's worker
 * attached (the worker manager reports it through `attached()`); callers arriving meanwhile share
 * that wait. It fails, leaving nothing running, when the provider cannot start the instance or the
 * worker does not attach within `missingTimeoutMs`. `insubstantiate()` stops the instance; a
 * substantiation in progress is cancelled first. After `shutdown()` nothing substantiates again.
 * One start or stop runs at a time (Buildbot's _start_stop_lock). `adopt(instance)` takes over an
 * instance an earlier run of the master started (found by the provider's listInstances): it waits
 * for that instance's worker as a substantiation does, without starting another.
 */
import { LatentStartError, type LatentInstance, type LatentProvider, type MasterAddress, type SubstantiationBuild } from './provider.js';

/** Buildbot's missing_timeout default: how long an instance's worker may take to attach. */
export const DEFAULT_MISSING_TIMEOUT_MS = 3600 * 1000;

export interface LatentWorkerOptions {
  workerName: string;
  password: string;
  /** A function when the address is known only later (the worker server's port once it listens). */
  master: MasterAddress | (() => MasterAddress);
  /**
   * Milliseconds from the start request until the instance's worker must have attached; then the
   * substantiation fails and the instance is stopped.
   * @default 3600000 (Buildbot's missing_timeout of 3600 s)
   */
  missingTimeoutMs?: number;
  /** Where a failed stop after a failed substantiation is reported (no caller is left to tell). */
  log?: { error(obj: unknown, msg?: string): void };
  /** Told each new state (the API publishes it). */
  onState?: (state: LatentState) => void;
}

export type LatentState = 'idle' | 'substantiating' | 'substantiated' | 'insubstantiating' | 'shutDown';

/** The substantiation was given up before the worker attached. */
export class SubstantiationCancelled extends Error {
  constructor(workerName: string, why: string) { super(`substantiating latent worker ${workerName} was cancelled: ${why}`); this.name = 'SubstantiationCancelled'; }
}

interface Pending { promise: Promise<void>; resolve(): void; reject(err: Error): void; abort: AbortController; timer: NodeJS.Timeout }

export class LatentWorker {
  private state_: LatentState = 'idle';
  private changedAt = Date.now();
  private get current(): LatentState { return this.state_; }
  private set current(next: LatentState) {
    if (next === this.state_) return;
    this.changedAt = Date.now();
    this.state_ = next;
    this.options.onState?.(next);
  }
  private instance: LatentInstance | null = null;
  private pending: Pending | null = null;
  /** Serialises the provider's start and stop calls. */
  private startStop: Promise<unknown> = Promise.resolve();
  private readonly missingTimeoutMs: number;

  constructor(readonly provider: LatentProvider, private readonly options: LatentWorkerOptions) {
    this.missingTimeoutMs = options.missingTimeoutMs ?? DEFAULT_MISSING_TIMEOUT_MS;
  }

  get name(): string { return this.options.workerName; }
  get state(): LatentState { return this.current; }
  /** The provider's id of the running (or starting) instance, null when there is none. */
  get instanceId(): string | null { return this.instance?.id ?? null; }
  /** When the state last changed (ms since the epoch), for "starting for 12 s" in messages. */
  get since(): number { return this.changedAt; }

  /** Resolves once the worker is attached; rejects (with nothing left running) when it cannot be. */
  async substantiate(build: SubstantiationBuild | null = null): Promise<void> {
    if (this.current === 'shutDown') throw new SubstantiationCancelled(this.name, 'the master is stopping');
    if (this.current === 'substantiated') return;
    if (this.pending) return this.pending.promise;
    if (this.current === 'insubstantiating') await this.startStop.catch(() => {});
    return this.begin(build);
  }

  /**
   * Takes over an instance found running for this master (reconciliation at start): resolves once
   * its worker attaches, rejects (and stops it) when it does not within missingTimeout. Only an idle
   * worker adopts; otherwise the instance is not this worker's to keep and false is returned.
   */
  adopt(instance: LatentInstance): { adopted: boolean; attached: Promise<void> } {
    if (this.current !== 'idle' || this.instance) return { adopted: false, attached: Promise.resolve() };
    this.instance = instance;
    return { adopted: true, attached: this.begin(null, instance) };
  }

  /**
   * The worker manager saw this worker attach. Returns false when no substantiation waits for it
   * (a stray connection, e.g. an instance left from an earlier run): the caller disconnects it.
   */
  attached(): boolean {
    const p = this.pending;
    if (this.current !== 'substantiating' || !p) return this.current === 'substantiated';
    clearTimeout(p.timer);
    this.pending = null;
    this.current = 'substantiated';
    p.resolve();
    return true;
  }

  /** The worker's connection went away: its instance is of no more use. */
  detached(): Promise<void> {
    return this.current === 'substantiated' ? this.insubstantiate({ fast: true }) : Promise.resolve();
  }

  /** Stops the instance (cancelling a substantiation in progress). */
  async insubstantiate(options: { fast?: boolean } = {}): Promise<void> {
    if (this.pending) this.fail(new SubstantiationCancelled(this.name, 'insubstantiate was called'));
    if (this.current === 'idle' || this.current === 'shutDown') return this.startStop.then(() => {}, () => {});
    this.current = 'insubstantiating';
    await this.stopInstance(options.fast ?? false);
    if (this.current === 'insubstantiating') this.current = 'idle';
  }

  /** Insubstantiates for good (master stop): later substantiate() calls are refused. */
  async shutdown(): Promise<void> {
    await this.insubstantiate({ fast: true });
    this.current = 'shutDown';
  }

  private get master(): MasterAddress {
    const m = this.options.master;
    return typeof m === 'function' ? m() : m;
  }

  private masterText(): string {
    try { const m = this.master; return `${m.host}:${m.port}`; } catch { return 'the master'; }
  }

  private begin(build: SubstantiationBuild | null, adopted: LatentInstance | null = null): Promise<void> {
    this.current = 'substantiating';
    let resolve!: () => void; let reject!: (err: Error) => void;
    const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
    const abort = new AbortController();
    const timer = setTimeout(() => this.fail(new LatentStartError(this.name, `its worker did not attach within ${this.missingTimeoutMs / 1000} s (startTimeout); check that the instance can reach ${this.masterText()}`)), this.missingTimeoutMs);
    timer.unref?.();
    const pending: Pending = { promise, resolve, reject, abort, timer };
    this.pending = pending;
    if (adopted) return promise;
    this.startStop = this.startStop.then(async () => {
      if (abort.signal.aborted) return;
      try {
        const request = { workerName: this.name, password: this.options.password, master: this.master, build, signal: abort.signal };
        const instance = await this.provider.startInstance(request);
        this.instance = instance;
        // Given up while the provider was starting it: the instance must not be left running.
        if (abort.signal.aborted) await this.stopInstanceNow(false);
      } catch (err) {
        if (this.pending === pending) this.fail(err instanceof LatentStartError ? err : new LatentStartError(this.name, (err as Error).message));
      }
    });
    return promise;
  }

  /** Rejects the waiting substantiation and stops what was started. */
  private fail(err: Error): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    clearTimeout(p.timer);
    p.abort.abort(err);
    p.reject(err);
    this.current = 'insubstantiating';
    void this.stopInstance(true).then(
      () => { if (this.current === 'insubstantiating') this.current = 'idle'; },
      (stopErr) => {
        this.current = 'idle';
        this.options.log?.error({ err: stopErr, worker: this.name }, `stopping the instance of latent worker ${this.name} after a failed substantiation failed; it may still be running`);
      });
  }

  private stopInstance(fast: boolean): Promise<void> {
    const run = this.startStop.then(() => this.stopInstanceNow(fast));
    this.startStop = run.catch(() => {});
    return run;
  }

  private async stopInstanceNow(fast: boolean): Promise<void> {
    const instance = this.instance;
    if (!instance) return;
    this.instance = null;
    await this.provider.stopInstance(instance, { fast });
  }
}
