/** The state database: one object per table group over a shared Kysely connection. */
import type { Kysely } from 'kysely';
import type { Schema } from './schema.js';
import type { Engine } from './migrations.js';
import { openConnection, type OpenDatabaseOptions } from './connection.js';
import { MastersTable } from './tables/masters.js';
import { BuildersTable } from './tables/builders.js';
import { SourceStampsTable } from './tables/sourcestamps.js';
import { ChangesTable } from './tables/changes.js';
import { BuildsetsTable } from './tables/buildsets.js';
import { BuildRequestsTable } from './tables/buildrequests.js';
import { BuildsTable } from './tables/builds.js';
import { StepsTable } from './tables/steps.js';
import { LogsTable } from './tables/logs.js';
import { WorkersTable } from './tables/workers.js';
import { SchedulersTable } from './tables/schedulers.js';
import { StateTable } from './tables/state.js';
import { WebSessionsTable } from './tables/web-sessions.js';
import { HookDeliveriesTable } from './tables/hook-deliveries.js';
import { ReporterOutboxTable } from './tables/reporter-outbox.js';
import { DatabaseHealth } from './health.js';
import { QueryTiming } from './query-timing.js';
import { RowCounts } from './row-counts.js';

export { DatabaseUrlError, type OpenDatabaseOptions } from './connection.js';
export type { Engine } from './migrations.js';
export { DatabaseHealth } from './health.js';
export { QueryTiming } from './query-timing.js';
export { outageOf, describeOutage, type DatabaseOutage, type OutageKind } from './outage.js';
export { retryThroughOutage, OutageTimeoutError } from './outage-retry.js';
export type * from './rows.js';

export class Db {
  readonly masters: MastersTable;
  readonly builders: BuildersTable;
  readonly sourcestamps: SourceStampsTable;
  readonly changes: ChangesTable;
  readonly buildsets: BuildsetsTable;
  readonly buildrequests: BuildRequestsTable;
  readonly builds: BuildsTable;
  readonly steps: StepsTable;
  readonly logs: LogsTable;
  readonly workers: WorkersTable;
  readonly schedulers: SchedulersTable;
  readonly state: StateTable;
  readonly webSessions: WebSessionsTable;
  readonly hookDeliveries: HookDeliveriesTable;
  readonly reporterOutbox: ReporterOutboxTable;
  /** Whether writes work right now, as the writers that keep their data through an outage found (health.ts). */
  readonly health = new DatabaseHealth();

  constructor(
    readonly kysely: Kysely<Schema>, readonly engine: Engine, private readonly closer: () => Promise<void>,
    private readonly durability: () => Promise<void> = () => Promise.resolve(),
    /** How long each query takes (query-timing.ts); the master's metrics listen. */
    readonly queryTiming: QueryTiming = new QueryTiming(),
  ) {
    this.masters = new MastersTable(kysely);
    this.builders = new BuildersTable(kysely);
    this.sourcestamps = new SourceStampsTable(kysely);
    const rowCounts = new RowCounts(kysely, engine);
    this.changes = new ChangesTable(kysely, rowCounts);
    this.buildsets = new BuildsetsTable(kysely);
    this.buildrequests = new BuildRequestsTable(kysely);
    this.builds = new BuildsTable(kysely, rowCounts);
    this.steps = new StepsTable(kysely);
    this.logs = new LogsTable(kysely);
    this.workers = new WorkersTable(kysely);
    this.schedulers = new SchedulersTable(kysely);
    this.state = new StateTable(kysely);
    this.webSessions = new WebSessionsTable(kysely);
    this.hookDeliveries = new HookDeliveriesTable(kysely);
    this.reporterOutbox = new ReporterOutboxTable(kysely);
  }

  close(): Promise<void> { return this.closer(); }

  /**
   * Resolves once every write made so far is stored for good. SQLite commits the writes of one
   * event-loop turn together, after the turn: await this before acknowledging a write to the outside
   * world (a hook's reply). Immediate on PostgreSQL.
   */
  durable(): Promise<void> { return this.durability(); }
}

/** Opens `sqlite:path`, `sqlite::memory:` or `postgresql://...` and brings its schema up to date. */
export async function openDatabase(url: string, opts: OpenDatabaseOptions = {}): Promise<Db> {
  const c = await openConnection(url, opts);
  return new Db(c.kysely, c.engine, c.close, c.durable, c.queryTiming);
}
