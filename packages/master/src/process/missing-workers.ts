/**
 * Buildbot's per-worker `missing_timeout`: a configured worker that stays disconnected for that long
 * (counted from its disconnection, or from master start / its appearance in the config when it never
 * connected) is reported missing once, as a warning in the master log (Buildbot also mails the
 * `notifyOnMissing` addresses: `onMissing` hands the event to the data layer, whose outbox rows
 * the reporters' workerMissing generators turn into mails). 0 disables the timer, as in Buildbot.
 * Timers are unref'd: they never keep a stopping master alive.
 */
import type { Logger } from 'mastro-protocol';

export interface MissingWatchWorker {
  readonly name: string;
  /** Seconds; 0 disables. */
  readonly missingTimeout: number;
}

export class MissingWorkerWatch {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly connected = new Set<string>();
  private workers = new Map<string, MissingWatchWorker>();
  /** When each worker last disconnected (epoch ms), for the report's "last seen". */
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly log: Logger, private readonly onMissing?: (name: string, missingTimeout: number, lastSeenMs: number | null) => void) {}

  /** Applies the configured workers (start and reconfig): timers start for those not connected. */
  configure(workers: readonly MissingWatchWorker[]): void {
    const next = new Map(workers.map((w) => [w.name, w]));
    for (const name of [...this.timers.keys()]) {
      const before = this.workers.get(name);
      const after = next.get(name);
      if (!after || after.missingTimeout !== before?.missingTimeout) this.clear(name);
    }
    this.workers = next;
    for (const w of workers) if (!this.connected.has(w.name) && !this.timers.has(w.name)) this.arm(w.name);
  }

  attached(name: string): void {
    this.connected.add(name);
    this.clear(name);
  }

  detached(name: string): void {
    this.connected.delete(name);
    this.lastSeen.set(name, Date.now());
    this.clear(name);
    this.arm(name);
  }

  /** Names whose missing timer is running (tests, diagnostics). */
  watching(): string[] { return [...this.timers.keys()]; }

  close(): void {
    for (const name of [...this.timers.keys()]) this.clear(name);
  }

  private arm(name: string): void {
    const w = this.workers.get(name);
    if (!w || !(w.missingTimeout > 0)) return;
    const t = setTimeout(() => {
      this.timers.delete(name);
      this.log.warn({ worker: name, missingTimeout: w.missingTimeout },
        `worker '${name}' has been missing for ${w.missingTimeout} s (its missingTimeout); check that its process runs and can reach the master`);
      this.onMissing?.(name, w.missingTimeout, this.lastSeen.get(name) ?? null);
    }, Math.min(w.missingTimeout * 1000, MAX_TIMER_MS));
    t.unref();
    this.timers.set(name, t);
  }

  private clear(name: string): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
  }
}

/** setTimeout's largest delay (about 24.8 days); a longer missingTimeout fires then. */
const MAX_TIMER_MS = 2 ** 31 - 1;
