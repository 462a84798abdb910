/**
 * The seam between the data layer's writes and the reporters' outbox. A write that causes reports
 * (a build starting or finishing, a buildset completing, a worker going missing) asks the outbox
 * which rows it needs and stores them IN THE SAME TRANSACTION as its own row: a master killed right
 * after the build's row says complete still has the report to deliver after a restart. The rows hold
 * the event, not the report: the report is generated when it is delivered (reporters/delivery/).
 *
 * The data layer knows only this interface; reporters/ implements it (the dependency points down).
 */
import type { OutboxRowInput } from '../db/tables/reporter-outbox.js';

/** The events reports are made of, named after Buildbot's routing keys (`('builds', None, 'finished')`). */
export const ReportEvents = {
  buildStarted: 'builds.new',
  buildFinished: 'builds.finished',
  buildsetComplete: 'buildsets.complete',
  workerMissing: 'workers.missing',
} as const;
export type ReportEventKind = (typeof ReportEvents)[keyof typeof ReportEvents];

/** What the writer knows about the event's subject, without reading anything. */
export interface ReportSubject {
  /**
   * The group whose reports keep their order: `builder:<id>` for builds (a status's `pending` is
   * delivered before its `success`), `buildset:<id>`, `worker:<name>`.
   */
  scope: string;
  /** Facts to keep with the event (a missing worker's notify list: the worker may be gone from the config when it is delivered). */
  payload?: Record<string, unknown>;
}

export interface ReportOutbox {
  /**
   * The outbox rows this event needs (one per reporter generator that wants it), or none.
   * Synchronous and in memory: it runs while the event's transaction is being built.
   */
  rowsFor(kind: ReportEventKind, subject: ReportSubject): OutboxRowInput[];
  /** Rows were stored: wake the delivery pool. */
  written(): void;
}
