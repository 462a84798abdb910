/**
 * The delivery pool: takes due reports from the outbox (db/tables/reporter-outbox.ts), has the
 * reporter's generator build each one and the reporter send it, and records the outcome.
 *
 * - Non-blocking: nothing here runs inside a build; the data layer only writes a row and wakes the
 *   pool. Each reporter has its own slots (`concurrency`), so a slow or hung endpoint holds only
 *   its own reporter's deliveries, and every attempt has a deadline (`attemptTimeout`).
 * - Ordered: only the oldest pending row of an order key (reporter + builder) can be claimed, so a
 *   build's `success` status never lands before its own `pending`, even while the first is retried.
 * - Claimed: a row is delivered by the master that claimed it (compare-and-set on claimed_by), so
 *   masters sharing the database never deliver it twice; claims of this master left by a crash are
 *   released at start, claims of masters marked stopped are released by the periodic pass.
 * - Retried: a retryable failure (TransportError.retryable, a database outage, a timeout) is tried
 *   again after an exponential backoff with jitter (a rate limit's wait when longer, for every report
 *   of that reporter), until `retryFor` has passed since the event; then, or at once for a permanent
 *   failure, the row is marked failed with the error, which /api/v2/reporters shows.
 * - Nothing lost silently: an outcome that cannot be recorded (the database is down) is kept and
 *   recorded at the next pass; every given-up report is logged with its reporter and error.
 */
import { outageOf } from '../../db/outage.js';
import type { OutboxRow, ReporterOutboxTable } from '../../db/tables/reporter-outbox.js';
import type { ReportEventKind } from '../../data/report-outbox.js';
import type { Reporter, ReporterContext, ReporterLogger } from '../base.js';
import { RateLimitError, TransportError, isRetryable } from '../transport/errors.js';
import { retryDelay } from './backoff.js';
import type { DeliverySettings } from './options.js';

export interface PoolDeps {
  outbox: ReporterOutboxTable;
  /** Resolves once writes made so far are committed (SQLite group commit): rows are claimed after their event is stored. */
  durable(): Promise<void>;
  masterid: number;
  /** The configured reporters, by name (read at every pass: a reconfig takes effect at once). */
  reporters(): ReadonlyMap<string, Reporter>;
  /** The context of one delivery, without its signal. */
  context(): Omit<ReporterContext, 'signal'>;
  /** Removes secrets from an error text before it is stored or logged. */
  redact(text: string): string;
  logger: ReporterLogger;
  settings(): DeliverySettings;
  now?: () => number;
  random?: () => number;
}

/** How long a stop waits for deliveries in flight before it releases their claims anyway. */
const STOP_WAIT_MS = 5000;
/** The shortest wait before a timed pass. */
const MIN_PASS_MS = 20;
/** Claims of stopped masters are looked for, and old rows pruned, at most this often. */
const HOUSEKEEPING_MS = 60_000;

class DeadlineError extends Error {}

export class DeliveryPool {
  private readonly inFlight = new Map<number, { reporter: string; orderKey: string; done: Promise<void>; abort: AbortController }>();
  private readonly pausedUntil = new Map<string, number>();
  /** Outcomes not stored yet (the database failed): stored first at the next pass. */
  private readonly unrecorded = new Map<number, () => Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  /**
   * Reporters that may have work since their last look (new rows, a delivery of theirs ended); a
   * timed pass (a retry came due, the poll interval) looks at all of them. A reporter whose queue
   * is stuck behind a hung endpoint is then not queried at every other reporter's delivery, nor when
   * its new rows are all behind a head in flight (their order keys are given with the wake-up).
   */
  private dirty = new Map<string, Set<string> | 'any'>();
  private allDirty = true;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private lastHousekeeping = 0;
  private warnedOutage = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly d: PoolDeps) {
    this.now = d.now ?? Date.now;
    this.random = d.random ?? Math.random;
  }

  /** Releases this master's claims left from before (a crash), then starts passing over the outbox. */
  async start(): Promise<void> {
    this.stopped = false;
    const released = await this.d.outbox.releaseClaims(this.d.masterid);
    if (released) this.d.logger.info({ reports: released }, `${released} report(s) this master was delivering when it last stopped are queued again`);
    this.wake();
  }

  /**
   * A pass soon (coalesced): new rows were written (`rows`: reporter -> their order keys; every
   * reporter when not said), a slot came free, a reconfig happened.
   */
  wake(rows?: ReadonlyMap<string, ReadonlySet<string> | 'any'>): void {
    if (rows) {
      for (const [r, keys] of rows) {
        const cur = this.dirty.get(r);
        if (keys === 'any' || cur === 'any') this.dirty.set(r, 'any');
        else this.dirty.set(r, new Set([...(cur ?? []), ...keys]));
      }
    } else this.allDirty = true;
    if (this.stopped) return;
    if (this.running) { this.again = true; return; }
    this.schedule(0, false);
  }

  /** Deliveries in flight per reporter (status page, tests). */
  inFlightCount(reporter?: string): number {
    let n = 0;
    for (const f of this.inFlight.values()) if (reporter === undefined || f.reporter === reporter) n++;
    return n;
  }

  /** Stops claiming; aborts deliveries in flight, waits for them briefly, releases what is still claimed. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    await this.running;
    for (const f of this.inFlight.values()) f.abort.abort(new Error('the master is stopping'));
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight.values()].map((f) => f.done)),
      new Promise<void>((r) => { t = setTimeout(r, STOP_WAIT_MS); t.unref(); }),
    ]);
    clearTimeout(t);
    await this.recordPending();
    try {
      await this.d.outbox.releaseClaims(this.d.masterid);
    } catch (err) {
      this.d.logger.warn({ err: this.d.redact(String((err as Error)?.message ?? err)) }, 'releasing the reports this master was delivering failed; they are released when it next starts');
    }
  }

  /** `timed`: a pass for retries that came due and other masters' rows, which looks at every reporter. */
  private schedule(delayMs: number, timed: boolean): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    if (timed && delayMs <= 0) this.allDirty = true;
    this.timer = setTimeout(() => { this.timer = null; if (timed) this.allDirty = true; void this.pass(); }, Math.max(0, delayMs));
    this.timer.unref();
  }

  private pass(): Promise<void> {
    if (this.running) { this.again = true; return this.running; }
    this.running = this.passOnce().finally(() => {
      this.running = null;
      if (this.again) { this.again = false; this.schedule(0, false); }
    });
    return this.running;
  }

  private async passOnce(): Promise<void> {
    const s = this.d.settings();
    let nextAt = this.now() + s.pollIntervalMs;
    try {
      await this.d.durable();
      await this.recordPending();
      if (this.now() - this.lastHousekeeping >= HOUSEKEEPING_MS) await this.housekeeping(s);
      const reporters = this.d.reporters();
      const all = this.allDirty;
      const dirty = this.dirty;
      this.allDirty = false;
      this.dirty = new Map();
      for (const [name, reporter] of reporters) {
        if (this.stopped) return;
        if (!all && !this.mayHaveWork(name, dirty.get(name))) continue;
        const paused = this.pausedUntil.get(name);
        if (paused !== undefined) {
          if (paused > this.now()) { nextAt = Math.min(nextAt, paused); continue; }
          this.pausedUntil.delete(name);
        }
        const free = (reporter.concurrency ?? s.concurrency) - this.inFlightCount(name);
        if (free <= 0) continue;
        for (const row of await this.d.outbox.dueHeads(name, this.now(), free)) {
          if (this.inFlight.has(row.id)) continue;
          if (!(await this.d.outbox.claim(row.id, this.d.masterid, this.now()))) continue;
          this.begin(reporter, row, s);
        }
      }
      // The next retry that comes due, of reporters with a free slot (a full one is woken when a slot frees).
      for (const [name, reporter] of reporters) {
        if ((reporter.concurrency ?? s.concurrency) - this.inFlightCount(name) <= 0 || (this.pausedUntil.get(name) ?? 0) > this.now()) continue;
        const due = await this.d.outbox.nextDueAt(name);
        if (due !== null) nextAt = Math.min(nextAt, due);
      }
      this.warnedOutage = false;
    } catch (err) {
      this.allDirty = true; // looked at nothing for sure: look at everything next time
      if (!this.warnedOutage) {
        this.warnedOutage = true;
        this.d.logger.warn({ err: this.d.redact(String((err as Error)?.message ?? err)) }, 'reading the report outbox failed (is the database down?); reports wait and are delivered once it works');
      }
    } finally {
      // Never sooner than MIN_PASS_MS: a head that stays due (claimed by another master meanwhile) must not spin the loop.
      this.schedule(Math.max(MIN_PASS_MS, nextAt - this.now()), true);
    }
  }

  /** Whether a pass must query `name`: something it was woken for could be a claimable head. */
  private mayHaveWork(name: string, why: Set<string> | 'any' | undefined): boolean {
    if (why === undefined) return false;
    if (why === 'any') return true;
    // New rows of a key whose head is in flight here wait behind it: no new head.
    for (const key of why) if (![...this.inFlight.values()].some((f) => f.reporter === name && f.orderKey === key)) return true;
    return false;
  }

  private async housekeeping(s: DeliverySettings): Promise<void> {
    this.lastHousekeeping = this.now();
    const released = await this.d.outbox.releaseClaimsOfStoppedMasters();
    if (released) this.d.logger.info({ reports: released }, `${released} report(s) claimed by stopped masters are queued again`);
    await this.d.outbox.prune(this.now() - s.retentionMs);
  }

  private begin(reporter: Reporter, row: OutboxRow, s: DeliverySettings): void {
    const abort = new AbortController();
    const done = this.deliver(reporter, row, s, abort).catch((err) => {
      this.d.logger.error({ err, reporter: reporter.name, report: row.id }, `reporter ${reporter.name}: delivering report ${row.id} failed unexpectedly; it is retried after a restart`);
    }).finally(() => {
      this.inFlight.delete(row.id);
      this.wake(new Map([[reporter.name, 'any' as const]]));
    });
    this.inFlight.set(row.id, { reporter: reporter.name, orderKey: row.orderKey, done, abort });
  }

  private async deliver(reporter: Reporter, row: OutboxRow, s: DeliverySettings, abort: AbortController): Promise<void> {
    const { outbox, masterid } = this.d;
    const generator = reporter.generators[row.generator];
    if (!generator || !generator.wantedEvents.includes(row.event as ReportEventKind)) {
      // A reconfig changed the reporter's generators: this event is no longer one it reports.
      await this.record(row.id, () => outbox.skip(row.id, masterid));
      return;
    }
    const deadline = setTimeout(() => abort.abort(new DeadlineError(`the delivery took longer than reportDelivery.attemptTimeout (${s.attemptTimeoutMs / 1000} s)`)), s.attemptTimeoutMs);
    deadline.unref();
    const ctx: ReporterContext = { ...this.d.context(), signal: abort.signal };
    const event = { id: row.id, kind: row.event as ReportEventKind, subjectId: row.subjectId, payload: row.payload, createdAtMs: row.createdAtMs };
    try {
      const report = await untilAborted(generator.generate(ctx, event), abort.signal);
      if (!report) { await this.record(row.id, () => outbox.skip(row.id, masterid)); return; }
      await untilAborted(reporter.send(report, ctx), abort.signal);
      await this.record(row.id, () => outbox.delivered(row.id, masterid, this.now()));
    } catch (err) {
      await this.failedAttempt(reporter, row, s, err, abort.signal);
    } finally {
      clearTimeout(deadline);
    }
  }

  private async failedAttempt(reporter: Reporter, row: OutboxRow, s: DeliverySettings, err: unknown, signal: AbortSignal): Promise<void> {
    const { outbox, masterid } = this.d;
    const reason = signal.aborted ? signal.reason : undefined;
    if (this.stopped && reason instanceof Error && !(reason instanceof DeadlineError)) {
      // Cut short by the stop: not an attempt that failed. The claim is released by stop().
      return;
    }
    const message = this.d.redact(errorText(reason instanceof DeadlineError ? reason : err));
    const retryable = reason instanceof DeadlineError || isRetryable(err) || outageOf(err) !== null;
    const now = this.now();
    const attempts = row.attempts + 1;
    const retryForMs = reporter.retryForMs ?? s.retryForMs;
    if (err instanceof RateLimitError) this.pausedUntil.set(reporter.name, Math.max(this.pausedUntil.get(reporter.name) ?? 0, err.resetAt));
    if (!retryable) {
      this.d.logger.warn({ reporter: reporter.name, report: row.id, event: row.event, subject: row.subjectId }, `reporter ${reporter.name}: report ${row.id} (${row.event} ${row.subjectId}) failed and will not be retried: ${message}`);
      await this.record(row.id, () => outbox.failed(row.id, masterid, message, now));
      return;
    }
    if (now - row.createdAtMs >= retryForMs) {
      const text = `gave up after ${attempts} attempts over ${Math.round((now - row.createdAtMs) / 1000)} s (retryFor ${Math.round(retryForMs / 1000)} s): ${message}`;
      this.d.logger.warn({ reporter: reporter.name, report: row.id, event: row.event, subject: row.subjectId }, `reporter ${reporter.name}: report ${row.id} (${row.event} ${row.subjectId}) ${text}`);
      await this.record(row.id, () => outbox.failed(row.id, masterid, text, now));
      return;
    }
    const asked = err instanceof TransportError && err.retryAfterMs !== undefined ? err.retryAfterMs : 0;
    const delay = retryDelay(attempts, { initialMs: s.retryInitialDelayMs, maxMs: s.retryMaxDelayMs }, this.random, asked);
    if (attempts === 1) this.d.logger.info({ reporter: reporter.name, report: row.id, retryInMs: delay }, `reporter ${reporter.name}: report ${row.id} failed, retrying: ${message}`);
    await this.record(row.id, () => outbox.retryLater(row.id, masterid, message, now, now + delay));
  }

  /** Stores an outcome, or keeps it for the next pass when the database cannot take it now. */
  private async record(id: number, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.unrecorded.set(id, write);
      this.d.logger.warn({ report: id, err: this.d.redact(String((err as Error)?.message ?? err)) }, `the outcome of report ${id} could not be stored; it is stored once the database works again`);
    }
  }

  private async recordPending(): Promise<void> {
    for (const [id, write] of [...this.unrecorded]) {
      await write();
      this.unrecorded.delete(id);
    }
  }
}

/** Rejects with the signal's reason once it is aborted (the work itself may go on, ignored). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); }, (e) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}

function errorText(err: unknown): string {
  if (err instanceof TransportError) return err.message;
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

