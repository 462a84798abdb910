/**
 * A builder as the engine runs it: its current config, its pending requests (in dispatch order),
 * which workers are running one of its builds, and why its requests are waiting. Running builds
 * keep the config they started with; a reconfig only swaps `config` for the next builds.
 */
import type { BuilderConfig } from './builder-config.js';
import type { Build } from './build.js';
import { RequestQueue, type QueuedRequest } from './request-queue.js';
import type { PendingReason } from './distributor-types.js';

export class Builder {
  readonly queue = new RequestQueue();
  readonly running = new Set<Build>();
  /** Workers running a build of this builder: a worker runs one build per builder (they share its directory). */
  readonly busyWorkers = new Map<string, number>();
  paused = false;
  /** Why the first pending request did not start in the last dispatch pass. */
  reason: PendingReason | null = null;
  /** Default-collapse index: signature -> pending requests with it. */
  readonly collapseIndex = new Map<string, Set<QueuedRequest>>();

  constructor(public config: BuilderConfig, readonly builderid: number) {}

  get name(): string { return this.config.name; }

  isWorkerBusy(workerName: string): boolean { return (this.busyWorkers.get(workerName) ?? 0) > 0; }

  markBusy(workerName: string, delta: 1 | -1): void {
    const n = (this.busyWorkers.get(workerName) ?? 0) + delta;
    if (n <= 0) this.busyWorkers.delete(workerName);
    else this.busyWorkers.set(workerName, n);
  }

  indexForCollapse(q: QueuedRequest): void {
    if (!q.collapseKey) return;
    let set = this.collapseIndex.get(q.collapseKey);
    if (!set) this.collapseIndex.set(q.collapseKey, (set = new Set()));
    set.add(q);
  }

  unindex(q: QueuedRequest): void {
    if (!q.collapseKey) return;
    const set = this.collapseIndex.get(q.collapseKey);
    if (!set) return;
    set.delete(q);
    if (set.size === 0) this.collapseIndex.delete(q.collapseKey);
  }

  /** The view of a builder that config hooks (canStartBuild, nextWorker, nextBuild, collapseRequests) receive. */
  hookView(): { name: string; builderid: number; config: BuilderConfig; runningBuilds: number } {
    return { name: this.name, builderid: this.builderid, config: this.config, runningBuilds: this.running.size };
  }
}
