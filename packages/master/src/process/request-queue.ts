/**
 * A builder's pending BuildRequests in dispatch order: higher priority first, then older
 * submission, then lower id. Insertion is a binary search; removal marks the entry gone and the
 * array is compacted only when gone entries dominate, so removing one request never rescans or
 * shifts the whole queue on the hot path.
 */
import type { BuildRequestRow, PendingReason } from './distributor-types.js';

export interface QueuedRequest {
  readonly row: BuildRequestRow;
  /** pending: waiting; claiming: a claim is in flight; gone: claimed, completed or cancelled. */
  state: 'pending' | 'claiming' | 'gone';
  /** Why this request did not start in the last dispatch pass (null: see the builder's reason). */
  reason: PendingReason | null;
  /** Default-collapse signature; undefined until computed, null when never collapsible (patches). */
  collapseKey?: string | null;
}

function before(a: BuildRequestRow, b: BuildRequestRow): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.submitted_at !== b.submitted_at) return a.submitted_at < b.submitted_at;
  return a.id < b.id;
}

export class RequestQueue {
  private items: QueuedRequest[] = [];
  private gone = 0;

  get size(): number { return this.items.length - this.gone; }

  /** Adds many at once (startup): one sort instead of n insertions. */
  addMany(qs: QueuedRequest[]): void {
    this.items.push(...qs);
    this.items.sort((a, b) => (before(a.row, b.row) ? -1 : before(b.row, a.row) ? 1 : 0));
  }

  add(q: QueuedRequest): void {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.items[mid].row, q.row)) lo = mid + 1;
      else hi = mid;
    }
    this.items.splice(lo, 0, q);
  }

  /** Marks `q` gone (it stays in the array until the next compaction). */
  remove(q: QueuedRequest): void {
    if (q.state === 'gone') return;
    q.state = 'gone';
    this.gone++;
    if (this.gone > 64 && this.gone * 2 > this.items.length) {
      this.items = this.items.filter((x) => x.state !== 'gone');
      this.gone = 0;
    }
  }

  /** Requests waiting to be dispatched, in order. */
  *pending(): IterableIterator<QueuedRequest> {
    for (const q of this.items) if (q.state === 'pending') yield q;
  }

  first(): QueuedRequest | undefined {
    for (const q of this.items) if (q.state === 'pending') return q;
    return undefined;
  }
}
