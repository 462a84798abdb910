/**
 * Changes a scheduler has seen but not built yet, with whether each is important. Persisted through
 * the data layer's scheduler_changes classifications (when available) so a restart during a
 * tree-stable wait or before a nightly build loses nothing.
 */
import type { ChangeResource } from '../data/types.js';
import type { SchedulerServices } from './base.js';

export interface PendingChange { change: ChangeResource; important: boolean }

export class PendingChanges {
  private readonly items = new Map<number, PendingChange>();

  constructor(private readonly services: SchedulerServices, private readonly schedulerid: () => number | null) {}

  get size(): number { return this.items.size; }
  values(): PendingChange[] { return [...this.items.values()].sort((a, b) => a.change.changeid - b.change.changeid); }
  hasImportant(): boolean { for (const p of this.items.values()) if (p.important) return true; return false; }

  async add(change: ChangeResource, important: boolean): Promise<void> {
    this.items.set(change.changeid, { change, important });
    const id = this.schedulerid();
    if (id !== null && this.services.updates.classifyChanges) await this.services.updates.classifyChanges(id, { [change.changeid]: important });
  }

  /** Removes the given changes (they went into a buildset or were dropped). */
  async flush(changes: readonly PendingChange[]): Promise<void> {
    if (!changes.length) return;
    let max = 0;
    for (const p of changes) { this.items.delete(p.change.changeid); max = Math.max(max, p.change.changeid); }
    const id = this.schedulerid();
    // Classifications are flushed by id (< max+1); changes that arrived meanwhile have higher ids
    // only if they were not part of this flush, which the in-memory map re-records below.
    if (id !== null && this.services.updates.flushChangeClassifications) {
      await this.services.updates.flushChangeClassifications(id, max + 1);
      const keep = [...this.items.values()].filter((p) => p.change.changeid <= max);
      if (keep.length && this.services.updates.classifyChanges) {
        await this.services.updates.classifyChanges(id, Object.fromEntries(keep.map((p) => [p.change.changeid, p.important])));
      }
    }
  }

  /** Reloads persisted classifications (after a restart). Returns the restored entries. */
  async restore(): Promise<PendingChange[]> {
    const id = this.schedulerid();
    const reads = this.services.reads;
    if (id === null || !reads?.getChangeClassifications || !reads.getChange) return [];
    const stored = await reads.getChangeClassifications(id);
    for (const [cid, important] of Object.entries(stored)) {
      const row = await reads.getChange(Number(cid));
      if (!row) continue;
      const change: ChangeResource = { ...row, committer: row.committer ?? null, sourcestamp: { ssid: row.sourcestampid } as ChangeResource['sourcestamp'] };
      this.items.set(row.changeid, { change, important });
    }
    return this.values();
  }
}
