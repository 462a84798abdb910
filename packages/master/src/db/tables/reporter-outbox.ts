/**
 * reporter_outbox: the reports still to deliver, and those delivered or given up on (kept for the
 * retention, then pruned). A row is an EVENT for ONE reporter's generator (a build finished, for
 * generator #0 of reporter 'status'): the report itself is generated when the row is delivered, so
 * the row is small and can be written in the transaction of the event that causes it
 * (`insertStep`, run inside the build's finish).
 *
 * Order: rows of one `order_key` (reporter + the builder, buildset or worker they are about) are
 * delivered one at a time in id order: only the oldest pending row of a key (its "head") can be
 * claimed, and it stays pending while it is retried. Claims: a master sets `claimed_by` with a
 * compare-and-set (`claim`), as build requests are claimed, so two masters never deliver a row
 * twice; a restarted master releases its own claims, and claims of stopped masters are released.
 *
 * Times are epoch milliseconds.
 */
import { sql, type Kysely, type QueryResult, type Selectable } from 'kysely';
import type { Schema } from '../schema.js';
import { built, run, type TxnStatement } from '../transaction.js';
import { prepared, type PreparedQuery } from '../prepared.js';

export const OutboxStates = { pending: 0, delivered: 1, failed: 2 } as const;
export type OutboxState = (typeof OutboxStates)[keyof typeof OutboxStates];

/** A row to add, without the id of the subject when the subject is inserted in the same transaction. */
export interface OutboxRowInput {
  reporter: string;
  /** Index of the generator in the reporter's `generators`. */
  generator: number;
  /** The event kind (data/report-outbox.ts ReportEvents). */
  event: string;
  orderKey: string;
  payload?: Record<string, unknown>;
}

export interface OutboxRow {
  id: number;
  reporter: string;
  generator: number;
  event: string;
  subjectId: number;
  payload: Record<string, unknown> | null;
  orderKey: string;
  state: OutboxState;
  attempts: number;
  createdAtMs: number;
  nextAttemptAtMs: number;
  claimedBy: number | null;
  doneAtMs: number | null;
  lastError: string | null;
  lastErrorAtMs: number | null;
}

/** Per reporter: rows by state, and the newest delivery and error. */
export interface OutboxReporterStats {
  reporter: string;
  delivered: number;
  pending: number;
  /** Pending rows whose last attempt failed (being retried). */
  failing: number;
  /** Rows given up on: a permanent error, or retried for longer than retryFor. */
  failed: number;
  lastDeliveredAtMs: number | null;
  lastError: string | null;
  lastErrorAtMs: number | null;
}

const toRow = (r: Selectable<Schema['reporter_outbox']>): OutboxRow => ({
  id: Number(r.id), reporter: r.reporter, generator: r.generator, event: r.event, subjectId: Number(r.subject_id),
  payload: r.payload_json ? JSON.parse(r.payload_json) : null, orderKey: r.order_key, state: r.state as OutboxState,
  attempts: r.attempts, createdAtMs: Number(r.created_at_ms), nextAttemptAtMs: Number(r.next_attempt_at_ms),
  claimedBy: r.claimed_by === null ? null : Number(r.claimed_by), doneAtMs: r.done_at_ms === null ? null : Number(r.done_at_ms),
  lastError: r.last_error, lastErrorAtMs: r.last_error_at_ms === null ? null : Number(r.last_error_at_ms),
});

// The pool's queries run for every delivery: built and compiled once (db/prepared.ts), as the
// engine's hot queries are. Building a Kysely query per call cost five times the query itself.
const PENDING = OutboxStates.pending;
/**
 * The head (oldest pending row) of the first order key after `after`, below `to`: one seek in the
 * (state, order_key, id) index. Walking the keys with it reads one row per key, however long the
 * queue behind each head is (grouping the pending rows read all of them, at every pass).
 */
const nextHeadQ = prepared((p: { after: string; to: string }, db) => db.selectFrom('reporter_outbox').selectAll()
  .where('state', '=', PENDING).where('order_key', '>', p.after).where('order_key', '<', p.to)
  .orderBy('order_key').orderBy('id').limit(1));
const claimQ = prepared((p: { id: number; masterid: number; now: number }, db) => db.updateTable('reporter_outbox').set({ claimed_by: p.masterid, claimed_at_ms: p.now })
  .where('id', '=', p.id).where('state', '=', PENDING).where('claimed_by', 'is', null));
const deliveredQ = prepared((p: { id: number; masterid: number; now: number }, db) => db.updateTable('reporter_outbox')
  .set((eb) => ({ state: OutboxStates.delivered, done_at_ms: p.now, attempts: eb('attempts', '+', 1), claimed_by: null, claimed_at_ms: null }))
  .where('id', '=', p.id).where('claimed_by', '=', p.masterid));
const retryQ = prepared((p: { id: number; masterid: number; error: string; now: number; next: number }, db) => db.updateTable('reporter_outbox')
  .set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: p.error, last_error_at_ms: p.now, next_attempt_at_ms: p.next, claimed_by: null, claimed_at_ms: null }))
  .where('id', '=', p.id).where('claimed_by', '=', p.masterid));
const failedQ = prepared((p: { id: number; masterid: number; error: string; now: number }, db) => db.updateTable('reporter_outbox')
  .set((eb) => ({ state: OutboxStates.failed, attempts: eb('attempts', '+', 1), last_error: p.error, last_error_at_ms: p.now, done_at_ms: p.now, claimed_by: null, claimed_at_ms: null }))
  .where('id', '=', p.id).where('claimed_by', '=', p.masterid));
const skipQ = prepared((p: { id: number; masterid: number }, db) => db.deleteFrom('reporter_outbox').where('id', '=', p.id).where('claimed_by', '=', p.masterid));

/** One prepared insert per number of rows (an event makes the same few rows every time). */
const insertQs = new Map<number, PreparedQuery<Record<string, unknown>, unknown>>();
const COLUMNS = ['reporter', 'generator', 'event', 'subject_id', 'payload_json', 'order_key', 'state', 'attempts', 'created_at_ms', 'next_attempt_at_ms', 'claimed_by', 'claimed_at_ms', 'done_at_ms', 'last_error', 'last_error_at_ms'] as const;
function insertQ(n: number): PreparedQuery<Record<string, unknown>, unknown> {
  let q = insertQs.get(n);
  if (!q) {
    q = prepared((p: Record<string, unknown>, db) => db.insertInto('reporter_outbox').values(Array.from({ length: n }, (_, i) =>
      Object.fromEntries(COLUMNS.map((c) => [c, p[`${c}${i}`]])) as never)));
    insertQs.set(n, q);
  }
  return q;
}
const MAX_PREPARED_ROWS = 16;

function insertParams(rows: readonly OutboxRowInput[], subjectId: number, nowMs: number): Record<string, unknown> {
  const p: Record<string, unknown> = {};
  values(rows, subjectId, nowMs).forEach((v, i) => { for (const c of COLUMNS) p[`${c}${i}`] = v[c]; });
  return p;
}

function values(rows: readonly OutboxRowInput[], subjectId: number, nowMs: number) {
  return rows.map((r) => ({
    reporter: r.reporter, generator: r.generator, event: r.event, subject_id: subjectId,
    payload_json: r.payload ? JSON.stringify(r.payload) : null, order_key: r.orderKey, state: OutboxStates.pending,
    attempts: 0, created_at_ms: nowMs, next_attempt_at_ms: nowMs, claimed_by: null, claimed_at_ms: null,
    done_at_ms: null, last_error: null, last_error_at_ms: null,
  }));
}

/** Adds `rows` about `subjectId` inside another table's transaction (`transaction()` body step). */
export function* insertOutboxRows(rows: readonly OutboxRowInput[], subjectId: number, nowMs: number): Generator<TxnStatement, void, QueryResult<unknown>> {
  if (!rows.length) return;
  if (rows.length <= MAX_PREPARED_ROWS) yield* run(insertQ(rows.length), insertParams(rows, subjectId, nowMs));
  else yield* built((db) => db.insertInto('reporter_outbox').values(values(rows, subjectId, nowMs)));
}

export class ReporterOutboxTable {
  constructor(private readonly k: Kysely<Schema>) {}

  /** Adds rows on their own (an event with no row of its own, such as a worker going missing). */
  async insert(rows: readonly OutboxRowInput[], subjectId: number, nowMs: number): Promise<void> {
    if (!rows.length) return;
    if (rows.length <= MAX_PREPARED_ROWS) await insertQ(rows.length).execute(this.k, insertParams(rows, subjectId, nowMs));
    else await this.k.insertInto('reporter_outbox').values(values(rows, subjectId, nowMs)).execute();
  }

  /**
   * The heads of the reporter's order keys: the oldest pending row of each key, the only row of it
   * that may be delivered (an older one still pending, being retried or in flight, holds the others
   * back). Every order key starts with the reporter's name and `|`; '}' follows '|', so the keys
   * are those in (name|, name}).
   */
  async heads(reporter: string): Promise<OutboxRow[]> {
    const out: OutboxRow[] = [];
    const to = `${reporter}}`;
    for (let after = `${reporter}|`; ;) {
      const r = await nextHeadQ.first(this.k, { after, to });
      if (!r) return out;
      out.push(toRow(r));
      after = r.order_key;
    }
  }

  /** The heads that may be claimed now (due, unclaimed), oldest first. */
  async dueHeads(reporter: string, nowMs: number, limit: number): Promise<OutboxRow[]> {
    return (await this.heads(reporter)).filter((h) => h.claimedBy === null && h.nextAttemptAtMs <= nowMs).sort((a, b) => a.id - b.id).slice(0, limit);
  }

  /**
   * When the reporter's next row can be claimed: the earliest due time among the unclaimed heads
   * (null: none). Rows behind a head, and heads in flight, do not count: they cannot be claimed
   * before the head is done, which wakes the pool anyway.
   */
  async nextDueAt(reporter: string): Promise<number | null> {
    let min: number | null = null;
    for (const h of await this.heads(reporter)) if (h.claimedBy === null && (min === null || h.nextAttemptAtMs < min)) min = h.nextAttemptAtMs;
    return min;
  }

  /** Claims a row for `masterid`: true when this call got it (it was pending and unclaimed). */
  async claim(id: number, masterid: number, nowMs: number): Promise<boolean> {
    const r = await claimQ.execute(this.k, { id, masterid, now: nowMs });
    return Number(r.numAffectedRows ?? 0) === 1;
  }

  async delivered(id: number, masterid: number, nowMs: number): Promise<void> {
    await deliveredQ.execute(this.k, { id, masterid, now: nowMs });
  }

  /** The attempt failed and may succeed later: released, due again at `nextAtMs`. */
  async retryLater(id: number, masterid: number, error: string, nowMs: number, nextAtMs: number): Promise<void> {
    await retryQ.execute(this.k, { id, masterid, error, now: nowMs, next: nextAtMs });
  }

  /** Given up: a permanent error, or retried for longer than allowed. It no longer holds its key back. */
  async failed(id: number, masterid: number, error: string, nowMs: number): Promise<void> {
    await failedQ.execute(this.k, { id, masterid, error, now: nowMs });
  }

  /** The generator found nothing to report for this event (its mode or filters): the row goes. */
  async skip(id: number, masterid: number): Promise<void> {
    await skipQ.execute(this.k, { id, masterid });
  }

  /** Releases every claim of `masterid` (its deliveries were cut short: a stop, a crash before this start). */
  async releaseClaims(masterid: number): Promise<number> {
    const r = await this.k.updateTable('reporter_outbox').set({ claimed_by: null, claimed_at_ms: null })
      .where('state', '=', OutboxStates.pending).where('claimed_by', '=', masterid).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Releases claims held by masters marked stopped (their deliveries can no longer finish). */
  async releaseClaimsOfStoppedMasters(): Promise<number> {
    const r = await this.k.updateTable('reporter_outbox').set({ claimed_by: null, claimed_at_ms: null })
      .where('state', '=', OutboxStates.pending).where('claimed_by', 'is not', null)
      .where('claimed_by', 'in', (eb) => eb.selectFrom('masters').select('id').where('active', '=', 0)).executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Deletes delivered and failed rows finished before `beforeMs`; returns how many. */
  async prune(beforeMs: number): Promise<number> {
    const r = await this.k.deleteFrom('reporter_outbox').where('state', '>', OutboxStates.pending).where('done_at_ms', '<', beforeMs).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async get(id: number): Promise<OutboxRow | undefined> {
    const r = await this.k.selectFrom('reporter_outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return r && toRow(r);
  }

  /** Rows of a reporter (every reporter when null), oldest first (tests, diagnostics). */
  async list(reporter: string | null = null, limit = 1000): Promise<OutboxRow[]> {
    let q = this.k.selectFrom('reporter_outbox').selectAll();
    if (reporter !== null) q = q.where('reporter', '=', reporter);
    return (await q.orderBy('id').limit(limit).execute()).map(toRow);
  }

  /** Counts per reporter and state (grouped in SQL), the newest delivery and the newest error. */
  async stats(): Promise<OutboxReporterStats[]> {
    const grouped = await this.k.selectFrom('reporter_outbox')
      .select((eb) => ['reporter', 'state', eb.fn.countAll().as('n'), eb.fn.max('done_at_ms').as('last_done'),
        eb.fn.count('last_error').as('with_error')])
      .groupBy(['reporter', 'state']).execute();
    const out = new Map<string, OutboxReporterStats>();
    const entry = (reporter: string) => {
      let s = out.get(reporter);
      if (!s) out.set(reporter, (s = { reporter, delivered: 0, pending: 0, failing: 0, failed: 0, lastDeliveredAtMs: null, lastError: null, lastErrorAtMs: null }));
      return s;
    };
    for (const g of grouped) {
      const s = entry(g.reporter);
      const n = Number(g.n);
      if (g.state === OutboxStates.delivered) { s.delivered = n; s.lastDeliveredAtMs = g.last_done == null ? null : Number(g.last_done); }
      else if (g.state === OutboxStates.failed) s.failed = n;
      else { s.pending = n; s.failing = Number(g.with_error); }
    }
    for (const s of out.values()) {
      const e = await this.k.selectFrom('reporter_outbox').select(['last_error', 'last_error_at_ms'])
        .where('reporter', '=', s.reporter).where('last_error_at_ms', 'is not', null)
        .orderBy('last_error_at_ms', 'desc').limit(1).executeTakeFirst();
      if (e) { s.lastError = e.last_error; s.lastErrorAtMs = Number(e.last_error_at_ms); }
    }
    return [...out.values()].sort((a, b) => a.reporter.localeCompare(b.reporter));
  }
}
