/**
 * The master's reporters as one service: the running Reporter of every configured spec, the
 * outbox rows an event needs (the data layer calls `rowsFor` while it builds the event's
 * transaction), the delivery pool, and the status /api/v2/reporters shows.
 *
 * Reconfig: a reporter whose spec is unchanged keeps running; a changed one is replaced, an added
 * one starts, a removed one closes. Queued reports are rows keyed by the reporter's NAME, so none is
 * lost: a changed reporter delivers them with its new options; a removed reporter's rows stay
 * pending (shown as not configured) and go out if it comes back under the same name.
 */
import type { Db } from '../db/index.js';
import type { OutboxRowInput } from '../db/tables/reporter-outbox.js';
import type { ReportEventKind, ReportOutbox, ReportSubject } from '../data/report-outbox.js';
import { fingerprint } from '../util/fingerprint.js';
import type { Reporter, ReporterContext, ReporterControl, ReporterLogger, ReporterSpec, ReportReads } from './base.js';
import { createReporter, reporterName, type ReporterKinds, REPORTER_KINDS } from './registry.js';
import { DeliveryPool } from './delivery/pool.js';
import { compileDeliveryOptions, type DeliverySettings, type ReportDeliveryOptions } from './delivery/options.js';

export interface ReporterServiceDeps {
  db: Db;
  data: ReportReads;
  masterid: number;
  logger: ReporterLogger;
  getSecret(name: string): Promise<string | undefined>;
  redact(text: string): string;
  /** Force and stop for reporters that take commands (the IRC bot). Default none. */
  control?: ReporterControl;
  kinds?: ReporterKinds;
  now?: () => number;
  random?: () => number;
}

export interface ReporterSettings {
  reporters: readonly ReporterSpec[];
  delivery?: ReportDeliveryOptions;
  title: string;
  buildbotURL: string;
}

/** One reporter as /api/v2/reporters shows it (times in epoch seconds, as Buildbot's API). */
export interface ReporterStatus {
  name: string;
  /** null for rows of a reporter no longer in the config. */
  kind: string | null;
  configured: boolean;
  generators: string[];
  delivered: number;
  /** Waiting or being retried (includes `failing`). */
  pending: number;
  /** Pending reports whose last attempt failed. */
  failing: number;
  /** Given up: a permanent error, or retried for longer than retryFor. */
  failed: number;
  in_flight: number;
  last_delivered_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
}

interface Running { reporter: Reporter; fingerprint: string; started?: boolean }

export class ReporterService implements ReportOutbox {
  private running = new Map<string, Running>();
  private settings: DeliverySettings = compileDeliveryOptions();
  private meta = { title: 'mastro', buildbotURL: 'http://localhost:8010/' };
  private readonly pool: DeliveryPool;
  private started = false;
  private poolStarted = false;
  /** Reporters given rows since the last `written()`, with the rows' order keys. */
  private wrote = new Map<string, Set<string>>();

  constructor(private readonly deps: ReporterServiceDeps) {
    this.pool = new DeliveryPool({
      outbox: deps.db.reporterOutbox,
      durable: () => deps.db.durable(),
      masterid: deps.masterid,
      reporters: () => new Map([...this.running].map(([name, r]) => [name, r.reporter])),
      context: () => this.context(),
      redact: (t) => deps.redact(t),
      logger: deps.logger,
      settings: () => this.settings,
      ...(deps.now ? { now: deps.now } : {}),
      ...(deps.random ? { random: deps.random } : {}),
    });
  }

  private context(): Omit<ReporterContext, 'signal'> {
    return {
      data: this.deps.data, logger: this.deps.logger, masterid: this.deps.masterid,
      title: this.meta.title, buildbotURL: this.meta.buildbotURL, getSecret: (n) => this.deps.getSecret(n),
    };
  }

  /** Applies the config's reporters (start and reconfig). Specs are checked already (config/normalise.ts). */
  async configure(s: ReporterSettings): Promise<void> {
    this.settings = compileDeliveryOptions(s.delivery);
    this.meta = { title: s.title, buildbotURL: s.buildbotURL };
    const next = new Map<string, Running>();
    for (const spec of s.reporters) {
      const name = reporterName(spec);
      const fp = fingerprint(spec);
      const cur = this.running.get(name);
      if (cur && cur.fingerprint === fp) { next.set(name, cur); continue; }
      next.set(name, { reporter: createReporter(spec, this.deps.kinds ?? REPORTER_KINDS), fingerprint: fp });
      this.deps.logger.info({ reporter: name, kind: spec.kind }, cur ? `reporter ${name} reconfigured` : `reporter ${name} started`);
    }
    const old = this.running;
    this.running = next;
    for (const [name, r] of old) {
      if (next.get(name) === r) continue;
      if (!next.has(name)) this.deps.logger.info({ reporter: name }, `reporter ${name} removed; its queued reports stay until a reporter of that name is configured again`);
      await r.reporter.close?.().catch((err) => this.deps.logger.warn({ err, reporter: name }, `closing reporter ${name} failed`));
    }
    // After the replaced ones are closed: a chat bot's successor takes its nick, not a second one.
    if (this.started) await this.startReporters();
    if (this.started) await this.startPoolIfNeeded();
    this.pool.wake();
  }

  /** Runs `start` of the reporters that have one and have not been started. */
  private async startReporters(): Promise<void> {
    const runtime = { ...this.context(), control: this.deps.control ?? null };
    for (const [name, r] of this.running) {
      if (r.started || !r.reporter.start) continue;
      r.started = true;
      await r.reporter.start(runtime).catch((err) => this.deps.logger.error({ err, reporter: name }, `reporter ${name} could not start: ${(err as Error).message}; its reports wait until a reconfig or restart`));
    }
  }

  /** Starts delivering (once the master's recovery ran: rows it wrote are delivered too). */
  async start(): Promise<void> {
    this.started = true;
    await this.startReporters();
    await this.startPoolIfNeeded();
  }

  // The pool runs once there is a reporter: a master without any does no outbox work at all.
  private async startPoolIfNeeded(): Promise<void> {
    if (this.poolStarted || !this.running.size) return;
    this.poolStarted = true;
    await this.pool.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.poolStarted) await this.pool.stop();
    this.poolStarted = false;
    for (const [name, r] of this.running) {
      r.started = false;
      await r.reporter.close?.().catch((err) => this.deps.logger.warn({ err, reporter: name }, `closing reporter ${name} failed`));
    }
  }

  /** The configured reporters (tests, diagnostics). */
  reporters(): Reporter[] { return [...this.running.values()].map((r) => r.reporter); }

  // ---- ReportOutbox ----
  rowsFor(kind: ReportEventKind, subject: ReportSubject): OutboxRowInput[] {
    const rows: OutboxRowInput[] = [];
    for (const [name, { reporter }] of this.running) {
      reporter.generators.forEach((g, generator) => {
        if (!g.wantedEvents.includes(kind)) return;
        rows.push({ reporter: name, generator, event: kind, orderKey: `${name}|${subject.scope}`, ...(subject.payload ? { payload: subject.payload } : {}) });
        let keys = this.wrote.get(name);
        if (!keys) this.wrote.set(name, (keys = new Set()));
        keys.add(`${name}|${subject.scope}`);
      });
    }
    return rows;
  }

  written(): void {
    const rows = this.wrote;
    this.wrote = new Map();
    this.pool.wake(rows);
  }

  // ---- status ----
  async status(): Promise<ReporterStatus[]> {
    const stats = new Map((await this.deps.db.reporterOutbox.stats()).map((s) => [s.reporter, s]));
    const sec = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));
    const out: ReporterStatus[] = [];
    const names = new Set([...this.running.keys(), ...stats.keys()]);
    for (const name of names) {
      const r = this.running.get(name)?.reporter;
      const s = stats.get(name);
      out.push({
        name, kind: r?.kind ?? null, configured: !!r, generators: r ? r.generators.map((g) => g.name) : [],
        delivered: s?.delivered ?? 0, pending: s?.pending ?? 0, failing: s?.failing ?? 0, failed: s?.failed ?? 0,
        in_flight: this.pool.inFlightCount(name),
        last_delivered_at: sec(s?.lastDeliveredAtMs ?? null), last_error: s?.lastError ?? null, last_error_at: sec(s?.lastErrorAtMs ?? null),
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }
}
