/**
 * The master's Prometheus metrics, served as text at GET /metrics (www/metrics.ts). One registry per
 * master (tests run several in one process), filled from the parts the composition root holds:
 *
 *   mastro_builds_total{builder,result}          counter, from each build's 'finished' event
 *   mastro_build_duration_seconds{builder}       histogram, the same builds, timed in this process
 *   mastro_buildrequests_pending{builder}        gauge, unclaimed requests in the database, read per scrape
 *   mastro_workers_connected{pool}               gauge, attached workers ("" for named workers)
 *   mastro_log_bytes_total                       counter, UTF-8 bytes of log lines received
 *   mastro_reporter_queue{reporter}              gauge, reports waiting or being retried (the outbox)
 *   mastro_db_query_duration_seconds             histogram, every database query (db/query-timing.ts)
 *   mastro_metrics_source_errors_total{source}   counter, a scrape whose source failed (the database is down)
 * and prom-client's default process metrics (CPU, memory, handles, GC, nodejs_eventloop_lag_seconds
 * and its percentiles), the event-loop lag among them.
 *
 * Gauges read at scrape time keep their last values when their source fails, and the failure is
 * counted: /metrics still answers while the database is away, which is when it is looked at most.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import type { Db } from '../db/index.js';
import type { DataConnector } from '../data/index.js';
import type { BuildResource } from '../data/types.js';
import type { MessageQueue } from '../mq/bus.js';
import { resultName } from '../model/results.js';
import { poolOfWorkerName } from '../process/worker-selection.js';

export interface MetricsSources {
  db: Db;
  data: DataConnector;
  mq: MessageQueue;
  /** Names of the attached workers (pool workers are named POOL/NAME). */
  workerNames: () => readonly string[];
  /** Pending reports per reporter, or null without reporters. */
  reporterQueues: () => Promise<ReadonlyArray<{ name: string; pending: number }>> | null;
  log: Logger;
}

/** Seconds: builds from a fraction of a second (tests, linters) to a few hours. */
const BUILD_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400];
/** Seconds: SQLite statements take microseconds, a loaded PostgreSQL server milliseconds to seconds. */
const QUERY_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Builds started here whose start time is remembered for their duration: bounded, so a lost event leaks nothing. */
const MAX_TRACKED_BUILDS = 100_000;

export class MasterMetrics {
  readonly registry = new Registry();
  private readonly unsubscribe: Array<() => void> = [];
  private readonly builderNames = new Map<number, string>();
  private readonly startedAt = new Map<number, number>();

  constructor(private readonly src: MetricsSources) {
    const register = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const sourceErrors = new Counter({
      name: 'mastro_metrics_source_errors_total', help: 'Scrapes whose source could not be read (its gauges kept their last values)',
      labelNames: ['source'], registers: register,
    });
    const failed = (source: string, err: unknown) => {
      sourceErrors.inc({ source });
      src.log.debug({ err, source }, 'a metrics source could not be read; its gauges keep their last values');
    };

    const builds = new Counter({ name: 'mastro_builds_total', help: 'Finished builds by builder and result', labelNames: ['builder', 'result'], registers: register });
    const durations = new Histogram({
      name: 'mastro_build_duration_seconds', help: 'Duration of finished builds by builder', labelNames: ['builder'], buckets: BUILD_BUCKETS, registers: register,
    });
    this.unsubscribe.push(src.mq.subscribe<BuildResource>(['builds', null, 'new'], (_key, b) => {
      if (this.startedAt.size >= MAX_TRACKED_BUILDS) this.startedAt.delete(this.startedAt.keys().next().value!);
      this.startedAt.set(b.buildid, performance.now());
    }));
    this.unsubscribe.push(src.mq.subscribe<BuildResource>(['builds', null, 'finished'], (_key, b) => {
      const t0 = this.startedAt.get(b.buildid);
      this.startedAt.delete(b.buildid);
      const seconds = t0 !== undefined ? (performance.now() - t0) / 1000 : Math.max(0, (b.complete_at ?? b.started_at) - b.started_at);
      this.builderName(b.builderid).then((builder) => {
        builds.inc({ builder, result: resultName(b.results) });
        durations.observe({ builder }, seconds);
      }, (err) => failed('builders', err));
    }));

    const self = this;
    new Gauge({
      name: 'mastro_buildrequests_pending', help: 'Build requests waiting for a worker (unclaimed), by builder', labelNames: ['builder'], registers: register,
      async collect() {
        try {
          const counts = await src.db.buildrequests.pendingCounts();
          const names = await self.allBuilderNames();
          this.reset();
          // Every known builder appears, with 0 when nothing waits: a series that vanishes reads as "no data".
          for (const name of names.values()) this.set({ builder: name }, 0);
          for (const c of counts) this.set({ builder: names.get(c.builderid) ?? `builder ${c.builderid}` }, c.count);
        } catch (err) { failed('buildrequests', err); }
      },
    });
    new Gauge({
      name: 'mastro_workers_connected', help: 'Attached workers by pool ("" for workers named in the config)', labelNames: ['pool'], registers: register,
      collect() {
        this.reset();
        this.set({ pool: '' }, 0);
        const counts = new Map<string, number>();
        for (const name of src.workerNames()) {
          const pool = poolOfWorkerName(name) ?? '';
          counts.set(pool, (counts.get(pool) ?? 0) + 1);
        }
        for (const [pool, n] of counts) this.set({ pool }, n);
      },
    });
    let reportedLogBytes = 0;
    new Counter({
      name: 'mastro_log_bytes_total', help: 'UTF-8 bytes of build log lines received by this master', registers: register,
      collect() {
        const now = src.data.logBytesReceived;
        if (now > reportedLogBytes) this.inc(now - reportedLogBytes);
        reportedLogBytes = now;
      },
    });
    new Gauge({
      name: 'mastro_reporter_queue', help: 'Reports waiting for delivery or being retried, by reporter', labelNames: ['reporter'], registers: register,
      async collect() {
        const queues = src.reporterQueues();
        if (!queues) return;
        try {
          const list = await queues;
          this.reset();
          for (const q of list) this.set({ reporter: q.name }, q.pending);
        } catch (err) { failed('reporters', err); }
      },
    });
    const queries = new Histogram({
      name: 'mastro_db_query_duration_seconds', help: 'Time each database query took', labelNames: ['engine'], buckets: QUERY_BUCKETS, registers: register,
    });
    const timer = queries.labels({ engine: src.db.engine });
    src.db.queryTiming.listen((seconds) => timer.observe(seconds));
  }

  /** The registry's text (Prometheus exposition format) and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Stops listening to events and query times (the master stops). */
  close(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    this.src.db.queryTiming.listen(null);
    this.registry.clear();
  }

  private async builderName(id: number): Promise<string> {
    const known = this.builderNames.get(id);
    if (known !== undefined) return known;
    return (await this.allBuilderNames()).get(id) ?? `builder ${id}`;
  }

  private async allBuilderNames(): Promise<Map<number, string>> {
    for (const b of await this.src.db.builders.list()) this.builderNames.set(b.id, b.name);
    return this.builderNames;
  }
}
