/**
 * DataConnector: the only way the rest of the master reads and writes state. `updates` writes and
 * publishes events; `get(path, spec)` answers REST-shaped reads; the EngineReads methods give the
 * engine database-shaped rows without HTTP shaping. Each resource module (resources/*.ts) holds its
 * endpoints, its writes and its events; this file collects them, as Buildbot's data/connector.py does.
 */
import type { Db } from '../db/index.js';
import type { MessageQueue } from '../mq/bus.js';
import { EventPublisher } from './events.js';
import { LogStore } from './log-store.js';
import { readLogLines } from './log-reader.js';
import { Router } from './router.js';
import { runCollection, type ResultSpec } from './resultspec.js';
import { NotFoundError } from './errors.js';
import { UpdateContext, type DataContext, type Endpoint } from './resources/context.js';
import type { DataOptions, EngineReads, Updates, BuildRequestRow, BuildRow, BuildsetRow, ChangeRow, SourceStampRow } from './updates-api.js';
import type { BuildResource, PendingReason, SourcedProperties } from './types.js';
import type { ReportOutbox } from './report-outbox.js';
import { masterEndpoints, masterUpdates } from './resources/masters.js';
import { builderEndpoints, builderUpdates } from './resources/builders.js';
import { shapeBuilds } from './resources/builds.js';
import { Results } from '../model/results.js';
import { sourceStampEndpoints } from './resources/sourcestamps.js';
import { changeEndpoints, changeUpdates } from './resources/changes.js';
import { buildsetEndpoints, buildsetUpdates } from './resources/buildsets.js';
import { buildRequestEndpoints, buildRequestUpdates } from './resources/buildrequests.js';
import { buildEndpoints, buildUpdates } from './resources/builds.js';
import { stepEndpoints, stepUpdates } from './resources/steps.js';
import { logEndpoints, logUpdates } from './resources/logs.js';
import { workerEndpoints, workerUpdates } from './resources/workers.js';
import { schedulerEndpoints, schedulerUpdates } from './resources/schedulers.js';
import { stateUpdates } from './resources/state.js';
import { changeSourceEndpoints } from './resources/changesources.js';
import { lockEndpoints } from './resources/locks.js';
import { propertyEndpoints } from './resources/properties.js';
import { reporterEndpoints } from './resources/reporters.js';
import type { LockState } from './resources/locks.js';
import type { ChangeSourceEntry } from './resources/changesources.js';

export const ENDPOINTS: readonly Endpoint[] = [
  ...masterEndpoints, ...builderEndpoints, ...sourceStampEndpoints, ...changeEndpoints, ...buildsetEndpoints,
  ...buildRequestEndpoints, ...buildEndpoints, ...stepEndpoints, ...logEndpoints, ...workerEndpoints, ...schedulerEndpoints, ...changeSourceEndpoints, ...lockEndpoints,
  ...propertyEndpoints, ...reporterEndpoints,
];

/**
 * The write side: every resource's writes, the id `masterActive` gave this master, and where the
 * writes that cause reports find the reporters' outbox.
 */
export type DataUpdates = Updates & { readonly masterid: number | null; setReportOutbox(outbox: ReportOutbox | null): void };

function collectUpdates(u: UpdateContext): DataUpdates {
  const buildsets = buildsetUpdates(u);
  return Object.assign(
    { get masterid() { return u.masterid; }, setReportOutbox(outbox: ReportOutbox | null) { u.outbox = outbox; } },
    masterUpdates(u), builderUpdates(u), workerUpdates(u), changeUpdates(u), buildsets, buildRequestUpdates(u, buildsets),
    buildUpdates(u), stepUpdates(u), logUpdates(u), stateUpdates(u), schedulerUpdates(u),
  );
}

/** The answer of `get`: `type` is the plural resource name used as the key of the REST answer. */
export type GetResult =
  | { kind: 'entity'; type: string; item: Record<string, any> }
  | { kind: 'collection'; type: string; items: Record<string, any>[]; total: number }
  | { kind: 'raw'; type: 'raw'; filename: string; mimeType: string; stream: AsyncIterable<Buffer> };

export class DataConnector implements EngineReads {
  readonly updates: DataUpdates;
  readonly events: EventPublisher;
  private readonly ctx: DataContext;
  private readonly router = new Router([...ENDPOINTS]);
  private pendingReasonProvider: ((brid: number) => PendingReason | null) | null = null;
  private lockStateProvider: (() => LockState[]) | null = null;
  private changeSourceProvider: (() => ChangeSourceEntry[]) | null = null;
  private reporterStateProvider: (() => Promise<Record<string, unknown>[]>) | null = null;
  private latentStateProvider: ((workerName: string) => Record<string, unknown> | null) | null = null;

  constructor(readonly db: Db, readonly mq: MessageQueue, options: DataOptions = {}) {
    this.events = new EventPublisher(mq);
    this.ctx = {
      db,
      logs: new LogStore(db, options),
      pendingReason: (brid) => this.pendingReasonProvider?.(brid) ?? null,
      lockStates: () => this.lockStateProvider?.() ?? [],
      changeSources: () => this.changeSourceProvider?.() ?? [],
      reporterStates: async () => (await this.reporterStateProvider?.()) ?? [],
      latentState: (name) => this.latentStateProvider?.(name) ?? null,
    };
    this.updates = collectUpdates(new UpdateContext(this.ctx, this.events));
  }

  /** Bytes of log output accepted and not stored yet (held through a database outage). */
  get unstoredLogBytes(): number { return this.ctx.logs.unstoredBytes; }
  /** UTF-8 bytes of log lines received since start, over all logs (metrics). */
  get logBytesReceived(): number { return this.ctx.logs.receivedBytes; }

  /** The id given by `updates.masterActive`, or null before it. */
  get masterid(): number | null { return this.updates.masterid; }

  /**
   * Reads a resource by path, e.g. get(['builders', 3, 'builds'], { order: ['-number'], limit: 10 }).
   * Throws NotFoundError for an unknown path or id, BadQueryError for a bad filter/field/order.
   */
  async get(path: ReadonlyArray<string | number>, spec: ResultSpec = {}): Promise<GetResult> {
    const m = this.router.match(path);
    if (!m) throw new NotFoundError(`no such resource path /${path.join('/')}`);
    const s: ResultSpec = { ...spec, filters: [...(spec.filters ?? [])] };
    const r = await m.endpoint.get(this.ctx, m.kwargs, s);
    if (!r) throw new NotFoundError(`/${path.join('/')} does not exist`);
    if (r.kind === 'collection') {
      const { items, total } = await runCollection(r.source, s, r.scope);
      return { kind: 'collection', type: m.endpoint.type, items, total };
    }
    if (r.kind === 'raw') return { kind: 'raw', type: 'raw', filename: r.filename, mimeType: r.mimeType, stream: r.stream };
    const item = s.fields?.length ? Object.fromEntries(s.fields.filter((f) => f in r.item).map((f) => [f, r.item[f]])) : r.item;
    return { kind: 'entity', type: m.endpoint.type, item };
  }

  /** Convenience: the entity at `path`, or undefined when it does not exist. */
  async getOne<T = Record<string, any>>(path: ReadonlyArray<string | number>, spec?: ResultSpec): Promise<T | undefined> {
    try {
      const r = await this.get(path, spec);
      return r.kind === 'entity' ? (r.item as T) : undefined;
    } catch (err) { if (err instanceof NotFoundError) return undefined; throw err; }
  }

  /** Convenience: the items of the collection at `path`. */
  async getList<T = Record<string, any>>(path: ReadonlyArray<string | number>, spec?: ResultSpec): Promise<T[]> {
    const r = await this.get(path, spec);
    if (r.kind !== 'collection') throw new NotFoundError(`/${path.join('/')} is not a collection`);
    return r.items as T[];
  }

  /**
   * The build before `buildid` of the same builder and branch (its `branch` property), not RETRY,
   * or undefined: what reporters' `change` and `problem` modes compare with. One indexed query.
   */
  async getPreviousBuild(buildid: number): Promise<BuildResource | undefined> {
    const b = await this.db.builds.get(buildid);
    if (!b) return undefined;
    const branch = (await this.db.builds.getProperties([buildid])).get(buildid)?.branch?.[0] ?? null;
    const prev = await this.db.builds.previousOnBranch(b.builderid, b.number, branch, Results.RETRY);
    return prev && (await shapeBuilds(this.ctx, [prev]))[0];
  }

  /** Flushes buffered log lines (call before closing the database). */
  async flush(): Promise<void> { await this.ctx.logs.flushAll(); }

  // ---- EngineReads ----
  setPendingReasonProvider(provider: ((brid: number) => PendingReason | null) | null): void { this.pendingReasonProvider = provider; }
  /** The engine registers its lock registry here so `/locks` shows holders and waiters. */
  setLockStateProvider(provider: (() => LockState[]) | null): void { this.lockStateProvider = provider; }
  /** The master registers its running change sources here so `/changesources` lists them. */
  setChangeSourceProvider(provider: (() => ChangeSourceEntry[]) | null): void { this.changeSourceProvider = provider; }
  /** The master registers its reporter service here so `/reporters` shows each reporter's deliveries. */
  setReporterStatusProvider(provider: (() => Promise<Record<string, unknown>[]>) | null): void { this.reporterStateProvider = provider; }
  /** The master registers its latent workers here so `/workers` shows each one's state (field `latent`). */
  setLatentStateProvider(provider: ((workerName: string) => object | null) | null): void { this.latentStateProvider = provider as ((workerName: string) => Record<string, unknown> | null) | null; }
  getPendingBuildRequests(): Promise<BuildRequestRow[]> { return this.db.buildrequests.pending(); }
  getBuildRequest(brid: number): Promise<BuildRequestRow | undefined> { return this.db.buildrequests.get(brid); }
  getBuildRequestsClaimedBy(masterid: number): Promise<BuildRequestRow[]> { return this.db.buildrequests.claimedBy(masterid); }
  getBuildRequestsForBuildset(bsid: number): Promise<BuildRequestRow[]> { return this.db.buildrequests.forBuildset(bsid); }
  getUnfinishedBuilds(masterid: number): Promise<BuildRow[]> { return this.db.builds.unfinished(masterid); }
  getBuild(buildid: number): Promise<BuildRow | undefined> { return this.db.builds.get(buildid); }
  async getBuildProperties(buildid: number): Promise<SourcedProperties> { return (await this.db.builds.getProperties([buildid])).get(buildid) ?? {}; }
  getBuildset(bsid: number): Promise<BuildsetRow | undefined> { return this.db.buildsets.get(bsid); }
  getBuildsetProperties(bsid: number): Promise<SourcedProperties> { return this.db.buildsets.properties(bsid); }
  getSourceStamp(ssid: number): Promise<SourceStampRow | undefined> { return this.db.sourcestamps.get(ssid); }
  async getSourceStampsForBuildset(bsid: number): Promise<SourceStampRow[]> {
    const ssids = await this.db.buildsets.sourceStampIds(bsid);
    const m = await this.db.sourcestamps.getMany(ssids);
    return ssids.map((id) => m.get(id)!).filter(Boolean);
  }
  getChange(changeid: number): Promise<ChangeRow | undefined> { return this.db.changes.get(changeid); }
  async getChangesForBuildset(bsid: number): Promise<ChangeRow[]> {
    const ssids = await this.db.buildsets.sourceStampIds(bsid);
    return ssids.length ? this.db.changes.forSourceStamps(ssids) : [];
  }
  async getChangeAuthorsForSourceStamps(ssids: readonly number[]): Promise<string[]> {
    return (await Promise.all(ssids.map((id) => this.db.changes.authorsForSourceStamp(id)))).flat();
  }
  getLatestChangeId(): Promise<number> { return this.db.changes.latestId(); }
  getLastBuiltRevision(builderid: number, codebase: string): Promise<string | null> { return this.db.builds.lastBuiltRevision(builderid, codebase); }
  getChangeClassifications(schedulerid: number): Promise<Record<number, boolean>> { return this.db.schedulers.classifications(schedulerid); }
  getLogLines(logid: number, first: number, last: number): Promise<string> { return readLogLines(this.db, this.ctx.logs, logid, first, last); }
}
