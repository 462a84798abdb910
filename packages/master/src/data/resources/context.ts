/**
 * What every resource module gets: the database, the log writer, and the live state only the running
 * master knows (pending reasons, locks, change sources), each through a provider its composition root
 * registers: data/ never imports the layers that produce them.
 */
import type { Db } from '../../db/index.js';
import type { LogStore } from '../log-store.js';
import type { PendingReason } from '../types.js';
import type { LockState } from './locks.js';
import type { ChangeSourceEntry } from './changesources.js';
import type { CollectionSource, ResultSpec } from '../resultspec.js';
import type { ColumnFilter } from '../../db/list-query.js';
import type { EventPublisher } from '../events.js';
import { DataError } from '../errors.js';
import { ErrorCodes } from '../../errors/catalog.js';
import type { ReportEventKind, ReportOutbox, ReportSubject } from '../report-outbox.js';
import type { OutboxRowInput } from '../../db/tables/reporter-outbox.js';

export interface DataContext {
  db: Db;
  logs: LogStore;
  pendingReason(brid: number): PendingReason | null;
  /** Locks held or waited for now (empty when no engine registered a provider). */
  lockStates(): LockState[];
  /** The change sources running in this process (empty when the composition root registered no provider). */
  changeSources(): ChangeSourceEntry[];
  /** The reporters and their delivery counts (empty when the master registered no provider). */
  reporterStates(): Promise<Record<string, unknown>[]>;
  /** A latent worker's state on this master (provider, starting/running, failures); null for other workers. */
  latentState(workerName: string): Record<string, unknown> | null;
}

export type Kwargs = Record<string, string | number>;

/** What an endpoint resolves to: an entity, a collection to run a ResultSpec on, or raw content. */
export type EndpointResult =
  | { kind: 'entity'; item: Record<string, any> }
  | { kind: 'collection'; source: CollectionSource<any>; scope?: ColumnFilter[] }
  | { kind: 'raw'; filename: string; mimeType: string; stream: AsyncIterable<Buffer> }
  | null;

export interface Endpoint {
  /** Path pattern in Buildbot's notation: `builders/n:builderid/builds/n:number`; n: = number, i: = identifier. */
  pattern: string;
  /** Plural name of the resource type, the key of the REST answer (`builds`). */
  type: string;
  get(ctx: DataContext, kw: Kwargs, spec: ResultSpec): Promise<EndpointResult>;
}

/** Helpers to resolve the many ways Buildbot nests builds, steps and logs in a path. */
export async function resolveBuilderId(ctx: DataContext, kw: Kwargs): Promise<number | undefined> {
  if (kw.builderid !== undefined) return Number(kw.builderid);
  if (kw.buildername !== undefined) return ctx.db.builders.findId(String(kw.buildername));
  return undefined;
}

export async function resolveBuildId(ctx: DataContext, kw: Kwargs): Promise<number | undefined> {
  if (kw.buildid !== undefined) return Number(kw.buildid);
  const builderid = await resolveBuilderId(ctx, kw);
  if (builderid === undefined || kw.build_number === undefined) return undefined;
  return (await ctx.db.builds.getByNumber(builderid, Number(kw.build_number)))?.id;
}

export async function resolveStepId(ctx: DataContext, kw: Kwargs): Promise<number | undefined> {
  if (kw.stepid !== undefined) return Number(kw.stepid);
  const buildid = await resolveBuildId(ctx, kw);
  if (buildid === undefined) return undefined;
  const step = kw.step_number !== undefined
    ? await ctx.db.steps.getInBuild(buildid, { number: Number(kw.step_number) })
    : await ctx.db.steps.getInBuild(buildid, { name: String(kw.step_name) });
  return step?.id;
}

/** Wraps an entity getter as an endpoint result (null = 404). */
export const entity = (item: Record<string, any> | undefined | null): EndpointResult => (item ? { kind: 'entity', item } : null);

/** Epoch seconds, as Buildbot stores times. */
export const now = (): number => Math.floor(Date.now() / 1000);

/**
 * What every resource's writes get: the read context, the event publisher, this master's id, and
 * the bookkeeping two resources share about the builds this process runs.
 */
export class UpdateContext {
  /** Set by masterActive; claims and completions are made on behalf of this master. */
  masterid: number | null = null;
  /**
   * Step numbers and names of the builds this process started (builds.ts opens and drops an entry,
   * steps.ts numbers with it): only this master writes them, so a new step needs no read-back to be
   * numbered or named uniquely (one insert instead of a read-then-insert transaction).
   */
  readonly stepNumbering = new Map<number, { next: number; names: Set<string> }>();
  /** Log slugs of the running steps of those builds (steps.ts opens and drops an entry, logs.ts names with it). */
  readonly logSlugs = new Map<number, Set<string>>();

  /** The reporters' outbox (set by the master when reporters are configured): writes that cause reports store its rows in their own transaction. */
  outbox: ReportOutbox | null = null;

  constructor(readonly ctx: DataContext, readonly events: EventPublisher) {}

  get db(): Db { return this.ctx.db; }

  /** The outbox rows an event needs (none without reporters). */
  reportRows(kind: ReportEventKind, subject: ReportSubject): OutboxRowInput[] {
    return this.outbox?.rowsFor(kind, subject) ?? [];
  }

  /** Rows from reportRows were stored: wakes the delivery pool. */
  reported(rows: readonly OutboxRowInput[]): void {
    if (rows.length) this.outbox?.written();
  }

  requireMaster(what: string): number {
    if (this.masterid === null) throw new DataError(ErrorCodes.NO_MASTER, 500, `${what} needs the master's id: call updates.masterActive(name) at start-up first`);
    return this.masterid;
  }
}
