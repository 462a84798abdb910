/**
 * The janitor: deletes the content of old logs, as Buildbot's `JanitorConfigurator(logHorizon=...)`
 * does (buildbot/configurators/janitor.py, db/logs.py deleteOldLogChunks): the logs of steps that
 * started more than `logHorizon` seconds ago lose their chunks and become type 'd'; steps, builds
 * and the log entries stay. Buildbot runs it as a nightly build; here it is a timer of the master.
 *
 * It must not slow the builds running meanwhile. Buildbot deletes in one statement, which on a
 * million builds holds the database (and, with SQLite, this process) for seconds; this walks the
 * logs by primary key `batchSize` at a time and, after each batch, waits several times as long as
 * the batch took, so it never has more than a small share of the event loop and the database.
 */
import type { Db } from '../db/index.js';
import type { Logger } from 'pino';

export interface JanitorSettings {
  /** Seconds; the content of logs of steps started longer ago is deleted. */
  logHorizon: number;
  /** Seconds between runs; the first run comes one minute after the master starts. */
  interval: number;
  /** Logs emptied per database transaction. */
  batchSize: number;
}

export interface JanitorRun { emptiedLogs: number; batches: number; seconds: number; olderThan: number }

/** After a batch that took t ms the janitor waits IDLE_FACTOR * t: at most 1 / (1 + IDLE_FACTOR) of the time is its. */
const IDLE_FACTOR = 4;
/** The first run waits this long after start-up, so a starting master is not also cleaning. */
const FIRST_RUN_DELAY_MS = 60_000;

export class Janitor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<JanitorRun> | null = null;
  private stopped = false;

  constructor(private readonly db: Db, private readonly log: Logger, private settings: JanitorSettings | null) {}

  /** Arms the timer (no-op without settings). */
  start(): void {
    this.stopped = false;
    this.arm(FIRST_RUN_DELAY_MS);
  }

  /** A reconfig: new settings from the next run on (null stops the janitor). */
  configure(settings: JanitorSettings | null): void {
    const intervalChanged = settings?.interval !== this.settings?.interval;
    this.settings = settings;
    if (intervalChanged || !settings) this.arm(FIRST_RUN_DELAY_MS);
  }

  /** Waits for a run in progress to stop at its next batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass now (or the pass already in progress). */
  runOnce(): Promise<JanitorRun> {
    if (!this.settings) return Promise.resolve({ emptiedLogs: 0, batches: 0, seconds: 0, olderThan: 0 });
    this.running ??= this.pass(this.settings).finally(() => { this.running = null; });
    return this.running;
  }

  private arm(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.settings || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce().catch((err) => this.log.warn({ err }, 'the janitor failed; it tries again at its next run'))
        .finally(() => { if (this.settings) this.arm(this.settings.interval * 1000); });
    }, delayMs);
    this.timer.unref();
  }

  private async pass(s: JanitorSettings): Promise<JanitorRun> {
    const t0 = performance.now();
    const olderThan = Math.floor(Date.now() / 1000) - s.logHorizon;
    const lastStep = await this.db.steps.lastStartedBefore(olderThan);
    let emptiedLogs = 0;
    let batches = 0;
    // Log ids follow step ids (a log is created by its running step): the walk ends at the first
    // page whose logs all belong to newer steps.
    for (let after = 0; lastStep !== null && !this.stopped;) {
      const b0 = performance.now();
      const page = await this.db.logs.pageAfter(after, s.batchSize);
      if (!page.length) break;
      const old = page.filter((l) => l.stepid <= lastStep && l.type !== 'd').map((l) => l.id);
      await this.db.logs.empty(old);
      emptiedLogs += old.length;
      batches++;
      after = page[page.length - 1]!.id;
      if (page.every((l) => l.stepid > lastStep)) break;
      await new Promise((r) => setTimeout(r, Math.ceil((performance.now() - b0) * IDLE_FACTOR)));
    }
    const run = { emptiedLogs, batches, seconds: (performance.now() - t0) / 1000, olderThan };
    this.log.info({ ...run, logHorizon: s.logHorizon }, `janitor: deleted the content of ${emptiedLogs} logs of steps started before ${new Date(olderThan * 1000).toISOString()}`);
    return run;
  }
}
