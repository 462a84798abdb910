/**
 * A pool's `forgetAfter`: pool workers come and go (containers, autoscaled hosts), each under a name
 * of its own, so one that stays away for that long is dropped from the workers list (its row is
 * marked in the database; the API stops listing it, its builds keep their worker id). One timer per
 * absent pool worker, started when it leaves; at master start the absent ones the database knows
 * are forgotten at once when their time is up, else timed from when they were last seen. A worker
 * of a pool that is no longer configured is forgotten at once: it cannot attach again. Timers are
 * unref'd, so they never keep a stopping master alive.
 */
import type { WorkerPoolConfig } from '../workers/worker-config.js';
import type { AbsentPoolWorker } from '../db/tables/workers.js';
import type { Logger as EngineLogger } from 'mastro-protocol';

export interface PoolForgetDeps {
  forget(workerids: readonly number[]): Promise<number[]>;
  log: EngineLogger;
  /** A worker was forgotten (the botmaster drops what it kept of it). */
  onForgotten?(name: string): void;
  now?(): number;
}

/** setTimeout's largest delay (about 24.8 days); a longer forgetAfter is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class PoolWorkerForgetter {
  private pools = new Map<string, WorkerPoolConfig>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; workerid: number; pool: string; leftAtMs: number }>();
  private closed = false;

  constructor(private readonly deps: PoolForgetDeps) {}

  private now(): number { return this.deps.now?.() ?? Date.now(); }

  /** Applies the pools (start, reconfig); absent workers of a removed pool are forgotten now, the others re-timed. */
  configure(pools: readonly WorkerPoolConfig[]): void {
    const before = this.pools;
    this.pools = new Map(pools.map((p) => [p.name, p]));
    for (const [name, t] of [...this.timers]) {
      const pool = this.pools.get(t.pool);
      if (pool && pool.forgetAfter === before.get(t.pool)?.forgetAfter) continue;
      this.cancel(name);
      this.schedule(name, t.workerid, t.pool, t.leftAtMs);
    }
  }

  /** At master start: the pool workers the database knows as absent. */
  adopt(rows: readonly AbsentPoolWorker[]): void {
    for (const r of rows) this.schedule(r.name, r.id, r.pool, r.last_seen_at === null ? this.now() : r.last_seen_at * 1000);
  }

  attached(name: string): void { this.cancel(name); }

  detached(name: string, workerid: number, pool: string): void {
    this.cancel(name);
    this.schedule(name, workerid, pool, this.now());
  }

  /** Names with a forget timer running (tests, diagnostics). */
  pending(): string[] { return [...this.timers.keys()]; }

  close(): void {
    this.closed = true;
    for (const name of [...this.timers.keys()]) this.cancel(name);
  }

  private schedule(name: string, workerid: number, poolName: string, leftAtMs: number): void {
    if (this.closed) return;
    const pool = this.pools.get(poolName);
    if (pool && pool.forgetAfter === null) return;
    const dueMs = pool ? leftAtMs + pool.forgetAfter! * 1000 : this.now();
    const wait = Math.max(0, dueMs - this.now());
    const timer = setTimeout(() => {
      this.timers.delete(name);
      if (wait > MAX_TIMER_MS) { this.schedule(name, workerid, poolName, leftAtMs); return; }
      void this.forget(name, workerid, pool ? `gone for its pool's forgetAfter (${pool.forgetAfter} s)` : `its pool '${poolName}' is no longer configured`);
    }, Math.min(wait, MAX_TIMER_MS));
    timer.unref();
    this.timers.set(name, { timer, workerid, pool: poolName, leftAtMs });
  }

  private async forget(name: string, workerid: number, why: string): Promise<void> {
    try {
      const gone = await this.deps.forget([workerid]);
      if (!gone.length) return; // connected again meanwhile (on this or another master)
      this.deps.log.info({ worker: name, workerid }, `pool worker ${name} dropped from the workers list: ${why}`);
      this.deps.onForgotten?.(name);
    } catch (err) {
      this.deps.log.warn({ err, worker: name }, `could not drop pool worker ${name} from the workers list; it is tried again at the next master start`);
    }
  }

  private cancel(name: string): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t.timer);
    this.timers.delete(name);
  }
}
