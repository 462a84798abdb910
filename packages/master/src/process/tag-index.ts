/**
 * Connected workers by effective tag (workers/tags.ts), so a builder that selects workers by tags
 * (`workerTags: ['os=linux', 'docker']`) finds its candidates without a scan of every worker: it
 * walks only the set of its rarest tag and checks the others on each member. With 10,000 workers
 * attached, a builder asking for `os=windows` looks at the Windows workers, not at all 10,000.
 */
export interface TaggedSlot {
  readonly name: string;
  readonly tags: ReadonlySet<string>;
}

export class WorkerTagIndex<S extends TaggedSlot> {
  private readonly byTag = new Map<string, Set<S>>();

  add(slot: S): void {
    for (const tag of slot.tags) {
      let set = this.byTag.get(tag);
      if (!set) this.byTag.set(tag, (set = new Set()));
      set.add(slot);
    }
  }

  remove(slot: S): void {
    for (const tag of slot.tags) {
      const set = this.byTag.get(tag);
      if (!set) continue;
      set.delete(slot);
      if (set.size === 0) this.byTag.delete(tag);
    }
  }

  /** Workers holding `tag`. */
  count(tag: string): number { return this.byTag.get(tag)?.size ?? 0; }

  /** The tags of `tags` that no indexed worker has. */
  missing(tags: readonly string[]): string[] { return tags.filter((t) => !this.byTag.has(t)); }

  /** Every indexed worker that has all of `tags` (none when `tags` is empty: selection needs at least one tag). */
  *matching(tags: readonly string[]): IterableIterator<S> {
    let smallest: Set<S> | undefined;
    for (const tag of tags) {
      const set = this.byTag.get(tag);
      if (!set) return;
      if (!smallest || set.size < smallest.size) smallest = set;
    }
    if (!smallest) return;
    for (const slot of smallest) if (hasAll(slot, tags)) yield slot;
  }
}

export function hasAll(slot: TaggedSlot, tags: readonly string[]): boolean {
  for (const t of tags) if (!slot.tags.has(t)) return false;
  return true;
}
