/**
 * Named long-running parts of the master (schedulers, change sources) that a reconfig adds,
 * removes or replaces. A part whose spec is unchanged keeps running untouched (its timers and
 * subscriptions survive the reconfig); a changed one is stopped and its replacement started.
 */
export interface Service {
  readonly name: string;
  /** Identity of the configuration: equal fingerprints mean "nothing to do on reconfig". */
  readonly fingerprint: string;
  readonly instance: unknown;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Log { info(o: unknown, msg?: string): void; error(o: unknown, msg?: string): void }

export class ServiceSet {
  private readonly running = new Map<string, Service>();
  constructor(private readonly kind: string) {}

  get(name: string): Service | undefined { return this.running.get(name); }
  all(): Service[] { return [...this.running.values()]; }

  async apply(next: readonly Service[], log: Log): Promise<void> {
    const wanted = new Map(next.map((s) => [s.name, s]));
    for (const [name, cur] of [...this.running]) {
      const repl = wanted.get(name);
      if (repl && repl.fingerprint === cur.fingerprint) continue;
      this.running.delete(name);
      try { await cur.stop(); } catch (err) { log.error({ err, [this.kind]: name }, `stopping the ${this.kind} failed`); }
      log.info({ name }, `${this.kind} stopped`);
    }
    for (const s of next) {
      if (this.running.has(s.name)) continue;
      try {
        await s.start();
        this.running.set(s.name, s);
        log.info({ name: s.name }, `${this.kind} started`);
      } catch (err) {
        log.error({ err, name: s.name }, `starting the ${this.kind} failed; it stays stopped until the next reconfig`);
      }
    }
  }
}
