/**
 * Whether the database can be written right now, as the writes that were tried found it. Writers
 * that keep their data through an outage (the log store, a running build) report each failure and
 * each success here; the master logs the start and the end of an outage, and running builds hear
 * of a full disk (they end RETRY: their output could not be stored). Reads do not count: on a full
 * disk they still work while every write fails.
 */
import { outageOf, type DatabaseOutage } from './outage.js';

export type HealthListener = (outage: DatabaseOutage | null) => void;

export class DatabaseHealth {
  private current: DatabaseOutage | null = null;
  private readonly listeners = new Set<HealthListener>();

  /** The outage the last write ran into, or null when the last write worked. */
  get outage(): DatabaseOutage | null { return this.current; }

  /**
   * Classifies a failed database call: an outage (see outage.ts) becomes the current state and is
   * announced when it begins or changes kind. Returns it, or null for an error of the call itself.
   */
  failed(err: unknown): DatabaseOutage | null {
    const o = outageOf(err);
    if (o && o.kind !== this.current?.kind) {
      this.current = o;
      this.announce(o);
    }
    return o;
  }

  /** A write worked: an outage is over. */
  worked(): void {
    if (!this.current) return;
    this.current = null;
    this.announce(null);
  }

  /** Calls `listener` with each new outage and with null when it ends; returns the unsubscribe. */
  subscribe(listener: HealthListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private announce(o: DatabaseOutage | null): void {
    for (const l of [...this.listeners]) l(o);
  }
}
