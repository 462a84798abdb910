/**
 * The reporter family's base, with Buildbot's split (`reporters/base.py`, `reporters/generators/`):
 *
 * - A **generator** decides *when* and *what*: it names the bus events it wants
 *   (`['builds', null, 'finished']`) and turns one such event into a report, or into nothing (a
 *   build that does not match its mode or its builders). Buildbot's BuildStatusGenerator,
 *   BuildStartEndStatusGenerator, WorkerMissingGenerator are generators.
 * - A **reporter** decides *where*: it owns its generators and delivers the reports they build
 *   (a commit status, a mail, a chat message). GitHubStatusPush, MailNotifier are reporters.
 *
 * `ReporterBase` wires the two together on the master's bus: `start(ctx)` subscribes every
 * generator's events, `stop()` unsubscribes and waits for deliveries in flight, `reconfig(spec)`
 * takes a changed spec of the same kind. A new reporter is one file: a subclass with `send()`
 * (and a kind in registry.ts). Reports go out one at a time per reporter, in event order; a
 * failed delivery is logged with the reporter's name and does not stop later ones. The durable
 * outbox (deliveries that survive a restart, retries with backoff) belongs to the reporters issue
 * and will sit between `generate` and `send`; the interfaces here stay as they are.
 */
import type { EventHandler, MessageQueue, RoutingFilter, RoutingKey } from '../mq/bus.js';

/** What a reporter is given when the master starts it. */
export interface ReporterContext {
  /** The master's bus: where build, buildset and worker events arrive. */
  readonly mq: MessageQueue;
  /** Reads resources by data-API path (`['builds', 12, 'steps']`) to fill a report. */
  readonly data: { get(path: ReadonlyArray<string | number>, spec?: object): Promise<unknown> };
  readonly logger: ReporterLogger;
  readonly masterid: number;
}

export interface ReporterLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** One report, ready for a reporter to deliver (Buildbot's report dict). */
export interface Report {
  /** Which generator built it (for logs and for reporters that format per generator). */
  readonly generator: string;
  /** The event that caused it, e.g. ['builds', '12', 'finished']. */
  readonly key: RoutingKey;
  /** `plain`, `html` or `json`, as Buildbot's `type`. */
  readonly type: 'plain' | 'html' | 'json';
  readonly subject?: string;
  readonly body: string;
  /** The resources the report is about (builds, a buildset, a worker), as the data API returns them. */
  readonly about: readonly Record<string, unknown>[];
}

export interface Generator {
  /** A name for logs and reports, e.g. 'buildStatus'. */
  readonly name: string;
  /** Bus filters of the events this generator reacts to (Buildbot's `wanted_event_keys`). */
  readonly wantedEvents: readonly RoutingFilter[];
  /** The report for one event, or null when this event is not one to report. */
  generate(ctx: ReporterContext, key: RoutingKey, event: unknown): Promise<Report | null>;
}

export interface Reporter {
  /** Unique among the master's reporters; names it in logs. */
  readonly name: string;
  start(ctx: ReporterContext): Promise<void>;
  /** Stops taking events and waits for the deliveries already started. */
  stop(): Promise<void>;
  /** Applies a changed spec of the same kind without losing queued reports. */
  reconfig(spec: ReporterSpec): Promise<void>;
}

/** What `reporters.*` return in a config: the kind names the registry entry that builds it. */
export interface ReporterSpec {
  readonly kind: string;
  readonly name?: string;
  readonly generators?: readonly Generator[];
}

/**
 * A reporter that delivers what its generators build. Subclasses implement `send`; `generators`
 * come from the spec (`reconfig` swaps them and the spec together).
 */
export abstract class ReporterBase<S extends ReporterSpec = ReporterSpec> implements Reporter {
  readonly name: string;
  private ctx: ReporterContext | null = null;
  private unsubscribe: Array<() => void> = [];
  /** The chain of deliveries: each report waits for the one before, so they leave in event order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(protected spec: S, defaultName: string) {
    this.name = spec.name ?? defaultName;
  }

  /** Delivers one report (an HTTP call, a mail...). A thrown error is logged, not retried (yet). */
  protected abstract send(report: Report, ctx: ReporterContext): Promise<void>;

  protected get generators(): readonly Generator[] { return this.spec.generators ?? []; }

  async start(ctx: ReporterContext): Promise<void> {
    this.ctx = ctx;
    this.subscribe();
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.queue;
    this.ctx = null;
  }

  async reconfig(spec: ReporterSpec): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    this.spec = spec as S;
    if (this.ctx) this.subscribe();
  }

  private subscribe(): void {
    const ctx = this.ctx!;
    for (const generator of this.generators) {
      const handler: EventHandler = (key, event) => { this.enqueue(generator, key, event); };
      for (const filter of generator.wantedEvents) this.unsubscribe.push(ctx.mq.subscribe(filter, handler));
    }
  }

  private enqueue(generator: Generator, key: RoutingKey, event: unknown): void {
    const ctx = this.ctx;
    if (!ctx) return;
    this.queue = this.queue.then(async () => {
      try {
        const report = await generator.generate(ctx, key, event);
        if (report) await this.send(report, ctx);
      } catch (err) {
        ctx.logger.error({ err, reporter: this.name, generator: generator.name, key: key.join('.') }, `reporter ${this.name}: reporting ${key.join('.')} failed; later events are still reported`);
      }
    });
  }
}
