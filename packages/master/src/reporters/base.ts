/**
 * The reporter family's base, with Buildbot's split (`reporters/base.py`, `reporters/generators/`):
 *
 * - A **generator** decides *when* and *what*: it names the events it wants (a build finished, a
 *   worker went missing) and turns one such event into a report, or into nothing (a build that does
 *   not match its mode or its builders). Buildbot's BuildStatusGenerator, BuildStartEndStatusGenerator,
 *   WorkerMissingGenerator are generators (./generators/).
 * - A **reporter** decides *where*: it owns its generators and delivers the reports they build (a
 *   commit status, a mail, a JSON document). Buildbot's GitHubStatusPush, MailNotifier are reporters.
 *
 * Between the two sits the durable outbox (./delivery/): the event is stored with the write that
 * causes it, and the delivery pool later claims the row, asks the generator for the report and hands
 * it to the reporter's `send`, retrying with backoff. So a reporter is only `send`: it keeps no queue,
 * and a failure it throws is classified by the pool (a TransportError from ./transport/ says whether
 * to retry and when).
 *
 * A new reporter is one file: a `ReporterBase` subclass with `send()` and its `ReporterKind` (option
 * names, checks, default generators), plus one line in ./registry.ts.
 */
import type { ReportEventKind } from '../data/report-outbox.js';
import type { ResultSpec } from '../data/resultspec.js';
import type { BuildResource, BuildsetResource } from '../data/types.js';
import type { BuildDetails } from './build-details.js';

/** The event a report is made from, as the outbox row stored it. */
export interface ReportEvent {
  /** The outbox row: stable across retries (a reporter may use it to make a delivery idempotent). */
  readonly id: number;
  readonly kind: ReportEventKind;
  /** The build, buildset or worker id. */
  readonly subjectId: number;
  /** Facts stored with the event (a missing worker's name and notify list). */
  readonly payload: Readonly<Record<string, unknown>> | null;
  /**
   * When the event was stored (epoch ms). With `id` it names the report for good, also across a
   * database made anew (ids start again): a chat message's transaction id (Matrix) is made of both.
   */
  readonly createdAtMs?: number;
}

/** What reporters read: the data layer's resources (the DataConnector implements it). */
export interface ReportReads {
  getOne<T = Record<string, any>>(path: ReadonlyArray<string | number>, spec?: ResultSpec): Promise<T | undefined>;
  getList<T = Record<string, any>>(path: ReadonlyArray<string | number>, spec?: ResultSpec): Promise<T[]>;
  /** The build before this one of the same builder and branch (not RETRY), or undefined. */
  getPreviousBuild(buildid: number): Promise<BuildResource | undefined>;
}

export interface ReporterLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** What a generator and a reporter are given for one delivery. */
export interface ReporterContext {
  readonly data: ReportReads;
  readonly logger: ReporterLogger;
  readonly masterid: number;
  /** The config's title and public URL (links in messages). */
  readonly title: string;
  readonly buildbotURL: string;
  /** Looks a secret up in the master's providers (`util.secret('name')` in reporter options). */
  getSecret(name: string): Promise<string | undefined>;
  /** Aborted when this delivery must end: its time is up, or the master is stopping. */
  readonly signal: AbortSignal;
}

/** A log attached to a report (generators' `addLogs`). */
export interface ReportLog {
  readonly buildername: string;
  readonly stepname: string;
  readonly name: string;
  readonly logid: number;
  /** The log's text, cut to its last bytes when long (`truncatedLines` then says how many lines went). */
  readonly content: string;
  readonly truncatedLines: number;
}

/** A worker that went missing, as the event stored it. */
export interface MissingWorkerInfo {
  readonly name: string;
  readonly workerid: number;
  /** Addresses to tell (the worker's notifyOnMissing). */
  readonly notify: readonly string[];
  readonly missingTimeout: number;
  /** Epoch seconds of the last time it was connected, when known. */
  readonly lastConnection: number | null;
}

/** One report, ready for a reporter to deliver (Buildbot's report dict). */
export interface Report {
  /** Which generator built it, e.g. 'buildStatus'. */
  readonly generator: string;
  readonly event: ReportEvent;
  /** `plain`, `html` or `json`, as Buildbot's `type`. */
  readonly type: 'plain' | 'html' | 'json';
  readonly subject: string | null;
  /** Text for plain/html, any JSON value for json. */
  readonly body: unknown;
  /** For an html report: the same message as plain text, when the formatter has one (mail's text part). */
  readonly text?: string | null;
  /** The build's (or buildset's) result; null for a build that has not finished or a worker report. */
  readonly results: number | null;
  /** The builds the report is about, with their details. */
  readonly builds: readonly BuildDetails[];
  readonly buildset: BuildsetResource | null;
  /** Interested users: the changes' authors and the builds' owners (mail recipients after `lookup`). */
  readonly users: readonly string[];
  readonly logs: readonly ReportLog[];
  readonly worker: MissingWorkerInfo | null;
}

export interface Generator {
  /** A name for logs and reports, e.g. 'buildStatus'. */
  readonly name: string;
  /** The events this generator reacts to (Buildbot's `wanted_event_keys`). */
  readonly wantedEvents: readonly ReportEventKind[];
  /** The report for one event, or null when this event is not one to report. */
  generate(ctx: ReporterContext, event: ReportEvent): Promise<Report | null>;
}

/** What `generators.*` return in a config: the kind names the entry of generators/index.ts that builds it. */
export interface GeneratorSpec {
  readonly kind: string;
  readonly [option: string]: unknown;
}

/** What `reporters.*` return in a config: the kind names the registry entry that builds it. */
export interface ReporterSpec {
  readonly kind: string;
  /** Unique among the master's reporters; names its outbox rows, so keep it when options change. Default: the kind. */
  readonly name?: string;
  /** What to report and when; default: the reporter kind's own (as in Buildbot). */
  readonly generators?: readonly GeneratorSpec[];
  /** Seconds a failing report is retried before it is given up; default `reportDelivery.retryFor`. */
  readonly retryFor?: number;
  /** Deliveries of this reporter in flight at once; default `reportDelivery.concurrency`. */
  readonly concurrency?: number;
  readonly [option: string]: unknown;
}

export interface Reporter {
  /** Unique among the master's reporters; names it in logs and in its outbox rows. */
  readonly name: string;
  readonly kind: string;
  readonly generators: readonly Generator[];
  /** Per-reporter delivery options (null: the master's `reportDelivery` defaults). */
  readonly retryForMs: number | null;
  readonly concurrency: number | null;
  /**
   * Delivers one report. Throws when it cannot: a TransportError says whether to try again
   * (./transport/errors.ts); any other error is taken as permanent (a bug, a broken template).
   */
  send(report: Report, ctx: ReporterContext): Promise<void>;
  /**
   * Starts what the reporter runs besides delivering (a chat bot's connection and its commands).
   * Called when the master's reporters start, or when a reconfig adds the reporter (after the one it
   * replaces is closed). Failing here is logged; deliveries still come to `send`.
   */
  start?(runtime: ReporterRuntime): Promise<void>;
  /** Releases what the reporter holds (connections); called when it is removed or replaced. */
  close?(): Promise<void>;
}

/**
 * Control actions a chat bot offers its users, as the REST API's `force` and `stop` run them
 * (master/reporter-control.ts adapts the master's control target).
 */
export interface ReporterControl {
  /** Starts a build of `builderName` through the force scheduler that builds it; throws with a message for the user when it cannot. */
  forceBuild(req: { builderName: string; reason: string; owner: string; branch?: string; revision?: string }): Promise<{ bsid: number }>;
  /** Stops a running build of this master (CANCELLED); false when no such build runs here. */
  stopBuild(buildid: number, reason: string): Promise<boolean>;
}

/** What a reporter's `start` is given: the reads and settings of deliveries, and the master's control. */
export interface ReporterRuntime {
  readonly data: ReportReads;
  readonly logger: ReporterLogger;
  readonly title: string;
  readonly buildbotURL: string;
  getSecret(name: string): Promise<string | undefined>;
  /** null when the master offers no control (a test's service). */
  readonly control: ReporterControl | null;
}

/**
 * A reporter that delivers what its generators build. Subclasses implement `send`; the generators
 * are made from the spec (or the kind's defaults) by the registry.
 */
export abstract class ReporterBase<S extends ReporterSpec = ReporterSpec> implements Reporter {
  readonly name: string;
  readonly retryForMs: number | null;
  readonly concurrency: number | null;

  constructor(protected readonly spec: S, readonly kind: string, readonly generators: readonly Generator[]) {
    this.name = spec.name ?? kind;
    this.retryForMs = typeof spec.retryFor === 'number' ? spec.retryFor * 1000 : null;
    this.concurrency = typeof spec.concurrency === 'number' ? spec.concurrency : null;
  }

  abstract send(report: Report, ctx: ReporterContext): Promise<void>;
}
