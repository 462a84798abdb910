/** The write side of the data API: every call updates the database, then publishes its events. */
import type { Db } from '../db/index.js';
import { Results, worst, type Result } from '../process/results.js';
import type { EventPublisher } from './events.js';
import type { AddBuildInput, AddBuildsetInput, AddBuildsetResult, AddChangeInput, BuildRequestRow, Updates } from './updates-api.js';
import type { DataContext } from './resources/context.js';
import type { BuildResource, LogType, SourcedProperties, StepResource } from './types.js';
import { DataError, LogLinesDroppedError, UnknownEntityError } from './errors.js';
import { shapeMaster } from './resources/masters.js';
import { loadBuilder } from './resources/builders.js';
import { loadWorker } from './resources/workers.js';
import type { AbsentPoolWorker, WorkerPlatformColumns } from '../db/tables/workers.js';
import { shapeChanges } from './resources/changes.js';
import { loadBuildset, shapeBuildsets } from './resources/buildsets.js';
import { shapeBuildRequests } from './resources/buildrequests.js';
import { loadBuild } from './resources/builds.js';
import { loadStep } from './resources/steps.js';
import { shapeLog } from './resources/logs.js';
import { loadScheduler } from './resources/schedulers.js';
import { ReportEvents, type ReportEventKind, type ReportOutbox, type ReportSubject } from './report-outbox.js';
import type { OutboxRowInput } from '../db/tables/reporter-outbox.js';

const now = () => Math.floor(Date.now() / 1000);

/** Buildbot's forceIdentifier: a log slug usable in a URL path segment. */
export function toIdentifier(name: string, maxLength = 50): string {
  let s = name.replace(/[^a-zA-Z0-9._-]/g, '_');
  if (!/^[a-zA-Z_-]/.test(s)) s = '_' + s;
  return s.slice(0, maxLength);
}

export class DataUpdates implements Updates {
  /** Set by masterActive; claims and completions are made on behalf of this master. */
  masterid: number | null = null;
  private readonly objectIds = new Map<string, number>();
  /**
   * Builds and steps in progress, as last published: their events are shaped from here instead of
   * re-reading the row after every update (a build makes dozens of updates). Removed when finished.
   */
  private readonly activeBuilds = new Map<number, BuildResource>();
  private readonly activeSteps = new Map<number, StepResource>();
  /**
   * Step numbers and names of the builds this process started, and log slugs of their running
   * steps: only this master writes them, so a new step or log needs no read-back to be numbered
   * or named uniquely (one insert instead of a read-then-insert transaction).
   */
  private readonly stepNumbering = new Map<number, { next: number; names: Set<string> }>();
  private readonly logSlugs = new Map<number, Set<string>>();

  /** The reporters' outbox: events that cause reports store their rows in their own transaction. */
  private outbox: ReportOutbox | null = null;

  constructor(private readonly ctx: DataContext, private readonly events: EventPublisher) {}

  setReportOutbox(outbox: ReportOutbox | null): void { this.outbox = outbox; }

  private reportRows(kind: ReportEventKind, subject: ReportSubject): OutboxRowInput[] {
    return this.outbox?.rowsFor(kind, subject) ?? [];
  }

  private get db(): Db { return this.ctx.db; }

  private requireMaster(what: string): number {
    if (this.masterid === null) throw new DataError('MASTRO_NO_MASTER', 500, `${what} needs the master's id: call updates.masterActive(name) at start-up first`);
    return this.masterid;
  }

  // ---- masters ----
  async masterActive(name: string): Promise<number> {
    const id = await this.db.masters.findOrCreate(name, now());
    await this.db.masters.setActive(id, true, now());
    this.masterid = id;
    const m = await this.db.masters.get(id);
    this.events.master(shapeMaster(m!), 'started');
    return id;
  }

  async masterStopped(masterid: number): Promise<void> {
    await this.ctx.logs.flushAll();
    await this.db.masters.setActive(masterid, false, now());
    await this.db.workers.clearMasterConnections(masterid);
    const m = await this.db.masters.get(masterid);
    if (m) this.events.master(shapeMaster(m), 'stopped');
  }

  // ---- builders ----
  findBuilderId(name: string): Promise<number> { return this.db.builders.findOrCreate(name); }

  async updateBuilderInfo(builderid: number, info: { description?: string | null; tags?: string[] }): Promise<void> {
    await this.db.builders.updateInfo(builderid, info);
    const b = await loadBuilder(this.ctx, builderid);
    if (b) this.events.builder(b, 'update');
  }

  async updateBuilderList(masterid: number, builderNames: string[]): Promise<void> {
    const ids = await Promise.all(builderNames.map((n) => this.db.builders.findOrCreate(n)));
    await this.db.builders.setMasterBuilders(masterid, ids);
  }

  // ---- workers ----
  findWorkerId(name: string): Promise<number> { return this.db.workers.findOrCreate(name); }

  workerConfigured(workerid: number, masterid: number, builderids: number[]): Promise<void> {
    return this.db.workers.setConfigured(workerid, masterid, builderids);
  }

  async workerConnected(a: { workerid: number; masterid: number; workerinfo: Record<string, unknown>; platform?: WorkerPlatformColumns }): Promise<void> {
    await this.db.workers.setConnected(a.workerid, a.masterid, a.workerinfo, a.platform);
    const w = await loadWorker(this.ctx, a.workerid);
    if (w) this.events.worker(w, 'connected');
  }

  async workerDisconnected(a: { workerid: number; masterid: number }): Promise<void> {
    await this.db.workers.setDisconnected(a.workerid, a.masterid);
    const w = await loadWorker(this.ctx, a.workerid);
    if (w) this.events.worker(w, 'disconnected');
  }

  async forgetWorkers(workerids: readonly number[]): Promise<number[]> {
    const gone = await this.db.workers.forget(workerids);
    for (const workerid of gone) {
      const w = await loadWorker(this.ctx, workerid);
      if (w) this.events.worker(w, 'forgotten');
    }
    return gone;
  }

  absentPoolWorkers(): Promise<AbsentPoolWorker[]> { return this.db.workers.absentPoolWorkers(); }

  /** A latent worker started, stopped or failed to start (mastro): `['workers', id, 'latent']` carries its new `latent` state. */
  async latentWorkerChanged(name: string): Promise<void> {
    const w = await loadWorker(this.ctx, await this.db.workers.findOrCreate(name));
    if (w) this.events.worker(w, 'latent');
  }

  async setWorkerState(workerid: number, state: { paused?: boolean; graceful?: boolean }): Promise<void> {
    await this.db.workers.setState(workerid, state);
    const w = await loadWorker(this.ctx, workerid);
    if (w) this.events.worker(w, 'state_updated');
  }

  /**
   * A configured worker has been gone for its missingTimeout (process/missing-workers.ts): its
   * report rows are stored (with what the report needs, the worker may leave the config before it
   * is delivered) and `['workers', id, 'missing']` is published, as in Buildbot.
   */
  async workerMissing(a: { name: string; notify: readonly string[]; missingTimeout: number; lastConnection?: number | null }): Promise<void> {
    const workerid = await this.db.workers.findOrCreate(a.name);
    const payload = { name: a.name, notify: [...a.notify], missingTimeout: a.missingTimeout, lastConnection: a.lastConnection ?? null };
    const reports = this.reportRows(ReportEvents.workerMissing, { scope: `worker:${a.name}`, payload });
    await this.db.reporterOutbox.insert(reports, workerid, Date.now());
    if (reports.length) this.outbox!.written();
    this.events.worker({ workerid, ...payload }, 'missing');
  }

  // ---- changes ----
  async addChange(c: AddChangeInput, opts: { deferEvent?: boolean } = {}): Promise<number> {
    const codebase = c.codebase ?? '';
    const repository = c.repository ?? '';
    const project = c.project ?? '';
    const branch = c.branch ?? null;
    const revision = c.revision ?? null;
    const properties: SourcedProperties = {};
    for (const [k, v] of Object.entries(c.properties ?? {})) {
      properties[k] = Array.isArray(v) && v.length === 2 && typeof v[1] === 'string' ? (v as [unknown, string]) : [v, 'Change'];
    }
    const ts = now();
    const sourcestampid = await this.db.sourcestamps.findOrCreate({ codebase, repository, branch, revision, project }, ts);
    const row = await this.db.changes.insert({
      author: c.author, committer: c.committer ?? null, files: c.files ?? [], comments: c.comments ?? '', revision,
      when_timestamp: c.when_timestamp ?? ts, branch, category: c.category ?? null, revlink: c.revlink ?? null,
      properties, repository, codebase, project, sourcestampid,
    });
    const changeid = row.changeid;
    // The caller acknowledges the change (a hook's reply): it must be stored for good first.
    await this.db.durable();
    // Shaped from what was inserted: reading the change back would cost four queries per change.
    const [change] = await shapeChanges(this.ctx, [row]);
    if (opts.deferEvent) {
      // Two hops: the first setImmediate runs in this loop turn's check phase, the one it queues in the
      // next turn, after that turn's poll for I/O: the caller's reply is written (and, in-process, read) first.
      setImmediate(() => setImmediate(() => this.events.change(change!)));
    } else {
      this.events.change(change!);
    }
    return changeid;
  }

  // ---- buildsets and build requests ----
  async addBuildset(b: AddBuildsetInput): Promise<AddBuildsetResult> {
    const submitted_at = b.submitted_at ?? now();
    const ssids: number[] = [];
    for (const ss of b.sourcestamps) ssids.push(typeof ss === 'number' ? ss : await this.db.sourcestamps.findOrCreate(ss, submitted_at));
    const res = await this.db.buildsets.add({
      sourcestampids: ssids, reason: b.reason, properties: b.properties ?? {}, builderids: b.builderids,
      waited_for: b.waited_for ?? false, external_idstring: b.external_idstring ?? null, parent_buildid: b.parent_buildid ?? null,
      parent_relationship: b.parent_relationship ?? null, priority: b.priority ?? 0, submitted_at,
    });
    // Published from the inserted rows: no read-back of what was just written.
    for (const br of await shapeBuildRequests(this.ctx, res.requests)) this.events.buildRequest(br, 'new');
    const [bs] = await shapeBuildsets(this.ctx, [res.buildset]);
    this.events.buildset({ ...bs!, scheduler: b.scheduler }, 'new');
    if (!b.builderids.length) await this.maybeBuildsetComplete(res.bsid);
    return { bsid: res.bsid, brids: res.brids };
  }

  durable(): Promise<void> { return this.db.durable(); }

  /**
   * Completes the buildset once all its requests are. `justCompleted`: requests this call's caller
   * has just completed; when they are all of the buildset's (known from when it was added), nothing
   * needs to be read.
   */
  async maybeBuildsetComplete(bsid: number, justCompleted: readonly BuildRequestRow[] = []): Promise<void> {
    const known = this.db.buildsets.requestIds(bsid);
    const brs = known && known.every((id) => justCompleted.some((r) => r.id === id && r.complete))
      ? justCompleted.filter((r) => r.buildsetid === bsid)
      : await this.db.buildrequests.forBuildset(bsid);
    if (brs.some((r) => !r.complete)) return;
    let results: Result = Results.SUCCESS;
    for (const r of brs) if (r.results !== null) results = worst(results, r.results as Result);
    const completeAt = now();
    const reports = this.reportRows(ReportEvents.buildsetComplete, { scope: `buildset:${bsid}` });
    if (!(await this.db.buildsets.complete(bsid, results, completeAt, reports))) return;
    if (reports.length) this.outbox!.written();
    const row = this.db.buildsets.completedRow(bsid, results, completeAt);
    const bs = row ? (await shapeBuildsets(this.ctx, [row]))[0] : await loadBuildset(this.ctx, bsid);
    this.events.buildset(bs!, 'complete');
  }

  private async publishRequests(brids: number[], event: string): Promise<void> {
    for (const br of await shapeBuildRequests(this.ctx, await this.db.buildrequests.getMany(brids))) this.events.buildRequest(br, event);
  }

  async claimBuildRequests(brids: number[], claimedAt?: number): Promise<boolean> {
    if (!brids.length) return true;
    const rows = await this.db.buildrequests.claimRows(brids, this.requireMaster('claimBuildRequests'), claimedAt ?? now());
    if (!rows) return false;
    for (const br of await shapeBuildRequests(this.ctx, rows)) this.events.buildRequest(br, 'claimed');
    return true;
  }

  async unclaimBuildRequests(brids: number[]): Promise<void> {
    const released = await this.db.buildrequests.unclaim(brids, this.requireMaster('unclaimBuildRequests'));
    if (released.length) await this.publishRequests(released, 'unclaimed');
  }

  async completeBuildRequests(brids: number[], results: number, completeAt?: number): Promise<boolean> {
    if (results === Results.RETRY) throw new DataError('MASTRO_BAD_RESULT', 500, 'a build request cannot complete with RETRY: unclaim it so it runs again');
    if (!brids.length) return true;
    const rows = await this.db.buildrequests.completeRows(brids, results, completeAt ?? now(), this.requireMaster('completeBuildRequests'));
    if (!rows) return false;
    for (const br of await shapeBuildRequests(this.ctx, rows)) this.events.buildRequest(br, 'complete');
    for (const bsid of new Set(rows.map((r) => r.buildsetid))) await this.maybeBuildsetComplete(bsid, rows);
    return true;
  }

  async cancelBuildRequest(brid: number, reason = 'cancelled'): Promise<void> {
    const br = await this.db.buildrequests.get(brid);
    if (!br) throw new UnknownEntityError('buildrequest', brid);
    if (br.complete) return;
    const masterid = this.requireMaster('cancelBuildRequest');
    if (br.claimed_by_masterid === null && !(await this.db.buildrequests.claim([brid], masterid, now()))) {
      throw new DataError('MASTRO_ALREADY_CLAIMED', 409, `build request ${brid} was claimed by a build meanwhile: stop that build instead`);
    }
    if (!(await this.db.buildrequests.complete([brid], Results.CANCELLED, now(), (await this.db.buildrequests.get(brid))!.claimed_by_masterid!))) return;
    const [shaped] = await shapeBuildRequests(this.ctx, [(await this.db.buildrequests.get(brid))!]);
    this.events.buildRequest({ ...shaped!, reason } as any, 'canceled');
    this.events.buildRequest(shaped!, 'complete');
    await this.maybeBuildsetComplete(br.buildsetid);
  }

  async setBuildRequestPriority(brid: number, priority: number): Promise<void> {
    await this.db.buildrequests.setPriority(brid, priority);
    await this.publishRequests([brid], 'update');
  }

  // ---- builds ----
  async addBuild(b: AddBuildInput): Promise<{ buildid: number; number: number }> {
    const started_at = now();
    const reports = this.reportRows(ReportEvents.buildStarted, { scope: `builder:${b.builderid}` });
    const res = await this.db.builds.add({ ...b, started_at }, reports);
    if (reports.length) this.outbox!.written();
    const build: BuildResource = {
      buildid: res.buildid, number: res.number, builderid: b.builderid, buildrequestid: b.buildrequestid, workerid: b.workerid,
      masterid: b.masterid, started_at, complete: false, complete_at: null, results: null, state_string: b.state_string, properties: {},
    };
    this.activeBuilds.set(res.buildid, build);
    this.stepNumbering.set(res.buildid, { next: 0, names: new Set() });
    this.events.build({ ...build }, 'new');
    return res;
  }

  private async currentBuild(buildid: number): Promise<BuildResource> {
    const b = this.activeBuilds.get(buildid) ?? (await loadBuild(this.ctx, buildid));
    if (!b) throw new UnknownEntityError('build', buildid);
    return b;
  }

  async setBuildStateString(buildid: number, s: string): Promise<void> {
    await this.db.builds.setStateString(buildid, s);
    const b = await this.currentBuild(buildid);
    b.state_string = s;
    this.events.build({ ...b }, 'update');
  }

  async finishBuild(buildid: number, results: number, stateString?: string): Promise<void> {
    const complete_at = now();
    const b = await this.currentBuild(buildid);
    // Stored with the result, in its transaction: a master killed right after still reports it.
    const reports = this.reportRows(ReportEvents.buildFinished, { scope: `builder:${b.builderid}` });
    await this.db.builds.finish(buildid, results, complete_at, stateString, reports);
    if (reports.length) this.outbox!.written();
    if (stateString !== undefined) {
      b.state_string = stateString;
      this.events.build({ ...b }, 'update');
    }
    this.activeBuilds.delete(buildid);
    this.stepNumbering.delete(buildid);
    this.events.build({ ...b, complete: true, complete_at, results }, 'finished');
  }

  setBuildProperty(buildid: number, name: string, value: unknown, source: string): Promise<void> {
    return this.setBuildProperties(buildid, { [name]: [value, source] });
  }

  async setBuildProperties(buildid: number, props: SourcedProperties): Promise<void> {
    if (!Object.keys(props).length) return;
    await this.db.builds.setProperties(buildid, props);
    this.events.buildProperties(buildid, props);
  }

  // ---- steps ----
  async addStep(s: { buildid: number; name: string; started?: boolean }): Promise<{ stepid: number; number: number; name: string }> {
    const known = this.stepNumbering.get(s.buildid);
    const startedAt = s.started ? now() : null;
    let res: { stepid: number; number: number; name: string };
    if (known) {
      const base = toIdentifier(s.name);
      let name = base;
      for (let i = 1; known.names.has(name); i++) name = `${base}_${i}`;
      const number = known.next;
      // Reserved before the insert so a concurrent addStep of the same build picks the next ones.
      known.next++;
      known.names.add(name);
      let stepid: number;
      try {
        stepid = await this.db.steps.insert(s.buildid, number, name, startedAt);
      } catch (err) {
        // Not stored (the database may be down): a retry must get the same number and name.
        if (known.next === number + 1) known.next = number;
        known.names.delete(name);
        throw err;
      }
      res = { stepid, number, name };
      this.logSlugs.set(res.stepid, new Set());
    } else {
      res = await this.db.steps.add(s.buildid, toIdentifier(s.name), startedAt);
    }
    const step: StepResource = {
      stepid: res.stepid, number: res.number, name: res.name, buildid: s.buildid, started_at: null, complete: false,
      complete_at: null, results: null, state_string: 'pending', urls: [], hidden: false,
    };
    this.activeSteps.set(res.stepid, step);
    this.events.step({ ...step, urls: [] }, 'new');
    if (startedAt !== null) {
      step.started_at = startedAt;
      this.events.step({ ...step, urls: [] }, 'started');
    }
    return res;
  }

  /** Applies `change` to the step as last published and publishes the result. */
  private async stepEvent(stepid: number, event: 'started' | 'updated' | 'finished', change: (s: StepResource) => void): Promise<void> {
    const s = this.activeSteps.get(stepid) ?? (await loadStep(this.ctx, stepid));
    if (!s) throw new UnknownEntityError('step', stepid);
    change(s);
    if (event === 'finished') this.activeSteps.delete(stepid);
    this.events.step({ ...s, urls: [...s.urls] }, event);
  }

  async startStep(stepid: number): Promise<void> {
    const at = now();
    await this.db.steps.start(stepid, at);
    await this.stepEvent(stepid, 'started', (s) => { s.started_at = at; });
  }

  async setStepStateString(stepid: number, state: string): Promise<void> {
    await this.db.steps.setStateString(stepid, state);
    await this.stepEvent(stepid, 'updated', (s) => { s.state_string = state; });
  }

  async addStepURL(stepid: number, name: string, url: string): Promise<void> {
    await this.db.steps.addUrl(stepid, { name, url });
    await this.stepEvent(stepid, 'updated', (s) => { if (!s.urls.some((u) => u.name === name && u.url === url)) s.urls.push({ name, url }); });
  }

  async finishStep(stepid: number, results: number, hidden: boolean, stateString?: string): Promise<void> {
    const at = now();
    await this.db.steps.finish(stepid, results, hidden, at, stateString);
    if (stateString !== undefined) await this.stepEvent(stepid, 'updated', (s) => { s.state_string = stateString; });
    this.logSlugs.delete(stepid);
    await this.stepEvent(stepid, 'finished', (s) => { s.results = results; s.hidden = hidden; s.complete = true; s.complete_at = at; });
  }

  // ---- logs ----
  async addLog(l: { stepid: number; name: string; type: LogType }): Promise<number> {
    const slugs = this.logSlugs.get(l.stepid);
    let logid: number;
    let slug = toIdentifier(l.name);
    if (slugs) {
      const base = slug;
      for (let i = 1; slugs.has(slug); i++) slug = `${base}_${i}`;
      slugs.add(slug);
      try {
        logid = await this.db.logs.insert(l.stepid, l.name, slug, l.type);
      } catch (err) {
        slugs.delete(slug); // not stored: a retry must get the same slug
        throw err;
      }
      // A step of our own build: its runtime finishes every log it adds, which forgets this entry.
      this.ctx.logs.opened({ id: logid, name: l.name, slug, stepid: l.stepid, complete: false, num_lines: 0, type: l.type });
    } else {
      ({ logid, slug } = await this.db.logs.add(l.stepid, l.name, slug, l.type));
    }
    this.events.log({ logid, name: l.name, slug, stepid: l.stepid, complete: false, num_lines: 0, type: l.type }, 'new');
    return logid;
  }

  async appendLog(logid: number, content: string | readonly Buffer[], stream?: 'o' | 'e' | 'h'): Promise<void> {
    // Live lines are decoded only for a listener: a 1 MiB string per append otherwise goes to waste.
    const r = await this.ctx.logs.append(logid, content, stream, (row) => this.events.wantsLog({ logid: row.id, stepid: row.stepid, slug: row.slug }, 'append'));
    if (r.dropped) {
      throw new LogLinesDroppedError(logid, r.dropped.lines, r.dropped.bytes, `the database could not be written (${r.dropped.reason}) and the log output held meanwhile filled db.outageBufferSize; a marker line in the log shows where`);
    }
    if (!r.content) return;
    const log = { ...shapeLog(this.ctx, r.row), num_lines: r.numLines };
    this.events.log(log, 'append', { ...log, firstline: r.firstline, content: r.content });
  }

  async finishLog(logid: number): Promise<void> {
    const r = await this.ctx.logs.finish(logid);
    if (r.tailContent) {
      const log = { ...shapeLog(this.ctx, r.row), num_lines: r.numLines };
      this.events.log(log, 'append', { ...log, firstline: r.tailFirstLine, content: r.tailContent });
    }
    await this.db.logs.finish(logid);
    this.events.log({ ...shapeLog(this.ctx, r.row), num_lines: r.numLines, complete: true }, 'finished');
    // Finished, with a marker where lines are missing: the caller must still learn of them.
    if (r.dropped) throw new LogLinesDroppedError(logid, r.dropped.lines, r.dropped.bytes, `the database could not be written (${r.dropped.reason}) and the log output held meanwhile filled db.outageBufferSize; a marker line in the log shows where`);
  }

  /** Chunks are compressed as they are written; this only makes sure nothing is left in memory. */
  async compressLog(logid: number): Promise<void> { await this.ctx.logs.flush(logid); }

  // ---- state ----
  private async objectId(name: string, className: string): Promise<number> {
    const key = `${className}\0${name}`;
    let id = this.objectIds.get(key);
    if (id === undefined) { id = await this.db.state.objectId(name, className); this.objectIds.set(key, id); }
    return id;
  }

  async getState(objectName: string, className: string, key: string, dflt?: unknown): Promise<unknown> {
    const v = await this.db.state.get(await this.objectId(objectName, className), key);
    if (v) return v.value;
    if (dflt === undefined) throw new DataError('MASTRO_NO_STATE', 404, `no state ${key} for ${className} ${objectName} and no default given`);
    return dflt;
  }

  async setState(objectName: string, className: string, key: string, value: unknown): Promise<void> {
    await this.db.state.set(await this.objectId(objectName, className), key, value);
  }

  // ---- schedulers ----
  findSchedulerId(name: string): Promise<number> { return this.db.schedulers.findOrCreate(name); }

  async trySetSchedulerMaster(schedulerid: number, masterid: number | null): Promise<boolean> {
    const ok = await this.db.schedulers.trySetMaster(schedulerid, masterid);
    if (ok) { const s = await loadScheduler(this.ctx, schedulerid); if (s) this.events.scheduler(s, 'updated'); }
    return ok;
  }

  async setSchedulerEnabled(schedulerid: number, enabled: boolean): Promise<void> {
    await this.db.schedulers.setEnabled(schedulerid, enabled);
    const s = await loadScheduler(this.ctx, schedulerid);
    if (s) this.events.scheduler(s, 'updated');
  }

  classifyChanges(schedulerid: number, classifications: Record<number, boolean>): Promise<void> {
    return this.db.schedulers.classify(schedulerid, classifications);
  }

  flushChangeClassifications(schedulerid: number, lessThan?: number): Promise<void> {
    return this.db.schedulers.flushClassifications(schedulerid, lessThan);
  }
}
