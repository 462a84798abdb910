/**
 * One build: sets up its properties, holds the builder's locks, runs the steps in order with
 * Buildbot's result rules, and reports the outcome to the data layer. Buildbot semantics:
 *  - after a haltOnFailure failure, or an EXCEPTION/RETRY/CANCELLED step, or a stop, only
 *    alwaysRun steps still run (the others are not even added);
 *  - a stopped build ends CANCELLED (or RETRY when the master shuts down: it runs again later);
 *  - a lost worker ends the build RETRY and its requests are unclaimed so they run again;
 *  - through a database outage the build goes on: its writes are retried until the database is
 *    back (resilient-updates.ts) and its log output is held (data/log-store.ts), so a command that
 *    ended meanwhile keeps its result; an infrastructure failure (log lines dropped because the
 *    outage buffer filled, a full disk) ends it RETRY with the reason, and its requests run again;
 *  - step 0 is `worker_preparation`, spanning the preparation of the build (properties, locks):
 *    SUCCESS "worker <name> ready", or EXCEPTION "error while <what>" (CANCELLED when stopped);
 *  - the final state_string is Buildbot's: a result word, "(stop reason)", then the build summaries
 *    of the steps (see build-summary.ts).
 */
import type { BuildRequestRow, SourceStampRow } from '../data/updates-api.js';
import type { SourcedProperties } from '../data/types.js';
import type { BuilderConfig } from './builder-config.js';
import type { RemoteWorker } from '../workers/types.js';
import { finalBuildText, stepBuildSummary } from './build-summary.js';
import type { Logger } from 'mastro-protocol';
import { lazyChildLogger, type EngineData } from './engine-data.js';
import { LockCancelledError, type LockHandle, type LockRegistry } from './locks.js';
import { Properties } from './properties.js';
import { foldResult, Results, resultName, type Result } from '../model/results.js';
import type { SecretManager } from './secrets.js';
import type { BuildInfo, BuildStep, SourceStampInfo, Triggerable } from './step-types.js';
import { StepRuntimeImpl, type RuntimeHost } from './step-runtime.js';
import { resilientUpdates } from './resilient-updates.js';
import { DatabaseHealth } from '../db/health.js';
import { OutageTimeoutError } from '../db/outage-retry.js';
import { DB_OPTION_DEFAULTS } from '../options/master.js';

export interface BuildServices {
  data: EngineData;
  masterid: number;
  masterDir: string;
  secrets: SecretManager;
  locks: LockRegistry;
  log: Logger;
  /** Global properties from the config (source 'Global'). */
  globalProperties: Readonly<Record<string, unknown>>;
  findTriggerable(name: string): Triggerable | undefined;
  triggerableNames(): string[];
  /**
   * How long each write of a build keeps being retried while the database is unavailable, ms (the
   * config's `db.outageTimeout`). Default DEFAULT_OUTAGE_TIMEOUT_MS (1 hour). After that the write
   * fails; a result that could not be recorded is settled by startup recovery.
   */
  outageTimeoutMs?: number;
  /** The database's health (db.health): a full disk ends running builds RETRY. Default: one of the build's own. */
  health?: DatabaseHealth;
}

export interface BuildSetup {
  builder: BuilderConfig;
  builderid: number;
  worker: RemoteWorker;
  workerid: number;
  /** Properties of the worker from the config (source 'Worker'). */
  workerProperties: Readonly<Record<string, unknown>>;
  /** The claimed requests this build satisfies (more than one when requests were merged). */
  requests: readonly BuildRequestRow[];
  /** The builder's locks, when the dispatcher already acquired them (it does, to avoid racing other dispatches). */
  heldLocks?: LockHandle | null;
}

export type BuildPhase = 'starting' | 'acquiring_locks' | 'running' | 'finishing' | 'finished';

export function toSourceStampInfo(ss: SourceStampRow): SourceStampInfo {
  return {
    ssid: ss.ssid, codebase: ss.codebase, repository: ss.repository, branch: ss.branch, revision: ss.revision,
    project: ss.project,
    patch: ss.patch ? { level: ss.patch.level, subdir: ss.patch.subdir ?? '', body: ss.patch.body, author: ss.patch.author ?? undefined, comment: ss.patch.comment ?? undefined } : null,
  };
}

export class Build {
  buildid = 0;
  number = 0;
  phase: BuildPhase = 'starting';
  results: Result = Results.SUCCESS;
  readonly properties = new Properties();
  private stopped = false;
  private stopResult: Result = Results.CANCELLED;
  private terminate = false;
  private lostWorker = false;
  /** Why the build ends RETRY for a failure of the master's own (a full disk, log output dropped), or null. */
  private infraReason: string | null = null;
  /** The data layer as this build uses it: writes retried through database outages. */
  private readonly data: BuildServices['data'];
  private readonly health: DatabaseHealth;
  private readonly stopListeners = new Set<(reason: string) => void>();
  private readonly abort = new AbortController();
  /** Buildbot's Build.text: the build summaries of the finished steps ("lost connection" after a worker loss). */
  private readonly texts: string[] = [];
  private stopReason: string | null = null;
  /** The worker_preparation step while it is open (0 before it exists and once it is finished). */
  private prepStepid = 0;
  /** What the preparation is doing, for "error while <what>". */
  private prepWhat = 'setting up the build';
  private info!: BuildInfo;
  private log: Logger;
  /** Resolves with the final result once the build is fully reported. */
  readonly finished: Promise<Result>;
  private resolveFinished!: (r: Result) => void;

  constructor(private readonly svc: BuildServices, readonly setup: BuildSetup) {
    this.log = lazyChildLogger(svc.log, { builder: setup.builder.name, worker: setup.worker.name });
    this.finished = new Promise((r) => { this.resolveFinished = r; });
    this.health = svc.health ?? new DatabaseHealth();
    const timeoutMs = svc.outageTimeoutMs ?? DEFAULT_OUTAGE_TIMEOUT_MS;
    // The logger is looked up at each call: it gains the build's id once the build exists.
    const log = { trace: (o: unknown, m?: string) => this.log.trace(o, m), info: (o: unknown, m?: string) => this.log.info(o, m), warn: (o: unknown, m?: string) => this.log.warn(o, m), error: (o: unknown, m?: string) => this.log.error(o, m), debug: (o: unknown, m?: string) => this.log.debug(o, m) };
    this.data = { ...svc.data, updates: resilientUpdates(svc.data.updates, { health: this.health, timeoutMs, log }) };
  }

  get builderName(): string { return this.setup.builder.name; }
  get workerName(): string { return this.setup.worker.name; }
  get brids(): number[] { return this.setup.requests.map((r) => r.id); }
  isStopped(): boolean { return this.stopped; }

  /**
   * Stops the build: the running command is interrupted, later steps are skipped (unless
   * alwaysRun). `results` is CANCELLED for a user stop, RETRY for a master shutdown.
   */
  stop(reason: string, results: Result = Results.CANCELLED): void {
    if (this.phase === 'finished') return;
    // A RETRY stop (shutdown) wins over an earlier CANCELLED one: the build must run again.
    if (!this.stopped || results === Results.RETRY) this.stopResult = results;
    if (this.stopped) return;
    this.stopped = true;
    this.stopReason = reason;
    this.log.info({ buildid: this.buildid, reason, results: resultName(results) }, 'stopping build');
    this.abort.abort(reason);
    for (const l of this.stopListeners) l(reason);
  }

  /** Runs the whole build; never throws (failures become EXCEPTION and are logged). */
  async run(): Promise<Result> {
    const { data } = this;
    const req = this.setup.requests[0];
    const unsubLost = this.setup.worker.onDisconnect(() => this.onWorkerLost());
    // Nothing the build writes can be stored on a full disk: end it now, so it runs again later.
    const unsubHealth = this.health.subscribe((o) => { if (o?.kind === 'disk-full') this.onInfrastructureFailure('disk full'); });
    let buildLocks: LockHandle | null = this.setup.heldLocks ?? null;
    try {
      const buildsetids = [...new Set(this.setup.requests.map((r) => r.buildsetid))];
      const [buildsetProperties, sourcestamps, otherProperties, otherChanges] = await Promise.all([
        data.reads.getBuildsetProperties(req.buildsetid),
        data.reads.getSourceStampsForBuildset(req.buildsetid),
        // Requests merged into this build (rare): their owners and change authors count too.
        Promise.all(buildsetids.slice(1).map((bsid) => data.reads.getBuildsetProperties(bsid))),
        Promise.all(buildsetids.slice(1).map((bsid) => data.reads.getChangesForBuildset(bsid))),
      ]);
      const authors = [
        ...await data.reads.getChangeAuthorsForSourceStamps(sourcestamps.map((ss) => ss.ssid)),
        ...otherChanges.flat().map((c) => c.author),
      ];
      const { buildid, number } = await data.updates.addBuild({
        builderid: this.setup.builderid, buildrequestid: req.id, workerid: this.setup.workerid,
        masterid: this.svc.masterid, state_string: 'starting',
      });
      this.buildid = buildid;
      this.number = number;
      this.log = lazyChildLogger(this.svc.log, { builder: this.builderName, worker: this.workerName, buildid, number });
      this.info = {
        buildid, number, builderid: this.setup.builderid, builderName: this.builderName, buildrequestid: req.id,
        workerName: this.workerName, builddir: this.setup.builder.workerbuilddir, masterDir: this.svc.masterDir, builderEnv: this.setup.builder.env,
        sourcestamps: sourcestamps.map(toSourceStampInfo),
      };
      // Step 0, as in Buildbot: it spans the preparation (one insert now, one update when ready).
      this.prepStepid = (await data.updates.addStep({ buildid, name: 'worker_preparation', started: true })).stepid;
      this.setupProperties(buildsetProperties);
      this.setupOwners([buildsetProperties, ...otherProperties], authors);
      await data.updates.setBuildProperties(buildid, this.properties.asDict());

      if (this.setup.builder.locks.length && !buildLocks) {
        this.phase = 'acquiring_locks';
        this.prepWhat = 'acquiring locks';
        await data.updates.setBuildStateString(buildid, 'waiting for locks');
        buildLocks = await this.svc.locks.acquire(`build ${this.builderName}#${number}`, this.setup.builder.locks, this.workerName, this.abort.signal);
      }
      const prep = this.prepStepid;
      this.prepStepid = 0;
      await data.updates.finishStep(prep, Results.SUCCESS, false, `worker ${this.workerName} ready`);
      this.phase = 'running';
      await data.updates.setBuildStateString(buildid, 'building');
      await this.runSteps();
    } catch (err) {
      if (err instanceof LockCancelledError) {
        // Stopped (or worker lost) while waiting for locks: the result is the stop's.
      } else if (err instanceof OutageTimeoutError) {
        this.log.error({ err }, 'the database was unavailable for longer than db.outageTimeout; the build ends RETRY');
        this.onInfrastructureFailure('database unavailable');
      } else {
        this.log.error({ err }, 'build failed with an internal error');
        this.results = Results.EXCEPTION;
      }
      await this.failPreparation(err);
    } finally {
      buildLocks?.release();
      unsubLost();
      unsubHealth();
    }
    if (this.lostWorker || this.infraReason !== null) this.results = Results.RETRY;
    else if (this.stopped && (this.results === Results.SUCCESS || this.results === Results.WARNINGS || this.results === Results.FAILURE || this.stopResult === Results.RETRY)) {
      this.results = this.stopResult;
    }
    await this.report();
    this.phase = 'finished';
    this.resolveFinished(this.results);
    return this.results;
  }

  /**
   * Ends the worker_preparation step when the build failed before it was ready: CANCELLED when
   * stopped, RETRY when the worker was lost, else EXCEPTION "error while <what>" with the error in
   * an err.text log (Buildbot's buildPreparationFailure).
   */
  private async failPreparation(err: unknown): Promise<void> {
    const stepid = this.prepStepid;
    if (!stepid) return;
    this.prepStepid = 0;
    const { updates } = this.data;
    try {
      if (this.lostWorker) {
        await updates.finishStep(stepid, Results.RETRY, false, `worker lost while ${this.prepWhat}`);
      } else if (this.infraReason !== null) {
        await updates.finishStep(stepid, Results.RETRY, false, `${this.infraReason} while ${this.prepWhat}`);
      } else if (this.stopped) {
        await updates.finishStep(stepid, Results.CANCELLED, false, `stopped while ${this.prepWhat}`);
      } else {
        const logid = await updates.addLog({ stepid, name: 'err.text', type: 't' });
        await updates.appendLog(logid, `${this.svc.secrets.redactor.redact((err as Error)?.stack ?? String(err))}\n`);
        await updates.finishLog(logid);
        await updates.finishStep(stepid, Results.EXCEPTION, false, `error while ${this.prepWhat}`);
      }
    } catch (e) {
      this.log.warn({ err: e, stepid }, 'finishing the worker_preparation step failed');
    }
  }

  /**
   * Buildbot's `owners` (source Build): the sorted, de-duplicated change authors and patch authors of
   * the build, and the `owner` property of each request it satisfies. Not set when there are none.
   */
  private setupOwners(requestProperties: readonly SourcedProperties[], changeAuthors: readonly string[]): void {
    const owners = new Set<string>(changeAuthors);
    for (const ss of this.info.sourcestamps) if (ss.patch && typeof ss.patch.author === 'string') owners.add(ss.patch.author);
    for (const props of requestProperties) {
      const owner = props.owner?.[0];
      if (owner !== undefined && owner !== null) owners.add(String(owner));
    }
    if (owners.size) this.properties.setProperty('owners', [...owners].sort(), 'Build');
  }

  private setupProperties(buildsetProperties: SourcedProperties): void {
    const p = this.properties;
    const b = this.setup.builder;
    p.updateFromValues(this.svc.globalProperties, 'Global');
    p.updateFromPairs(buildsetProperties);
    for (const [k, v] of Object.entries(b.defaultProperties)) if (!p.hasProperty(k)) p.setProperty(k, v, 'Builder');
    p.updateFromValues(b.properties, 'Builder');
    p.updateFromValues(this.setup.workerProperties, 'Worker');
    // The sourcestamp properties come from the default codebase (or the only one), as in Buildbot.
    const ss = this.info.sourcestamps.find((s) => s.codebase === '') ?? this.info.sourcestamps[0];
    if (ss) {
      for (const key of ['branch', 'revision', 'repository', 'project', 'codebase'] as const) {
        if (!p.hasProperty(key)) p.setProperty(key, ss[key] ?? (key === 'branch' || key === 'revision' ? null : ''), 'Build');
      }
    }
    p.setProperty('buildername', b.name, 'Builder');
    p.setProperty('buildnumber', this.number, 'Build');
    p.setProperty('workername', this.workerName, 'Worker');
    const basedir = this.setup.worker.info.basedir;
    const join = this.setup.worker.pathFlavour === 'win32' ? '\\' : '/';
    p.setProperty('builddir', basedir ? `${basedir}${join}${b.workerbuilddir}` : b.workerbuilddir, 'Worker');
    if (b.project && !p.hasProperty('project')) p.setProperty('project', b.project, 'Builder');
  }

  private async runSteps(): Promise<void> {
    for (const factory of this.setup.builder.steps) {
      if (this.lostWorker || this.infraReason !== null) break; // nothing can run without a worker, or with nowhere to store it
      if ((this.terminate || this.stopped) && !factory.options.alwaysRun) continue;
      let step: BuildStep;
      try {
        step = factory.create();
      } catch (err) {
        this.log.error({ err, stepType: factory.stepType }, 'creating a step failed');
        this.results = Results.EXCEPTION;
        this.terminate = true;
        continue;
      }
      const result = await this.runStep(step);
      const folded = foldResult(step.options, result, this.results);
      this.results = folded.result;
      if (folded.terminate) this.terminate = true;
    }
  }

  /** What a stop means for the step it interrupts: RETRY for a master shutdown, else CANCELLED. */
  private interruptResult(): Result {
    return this.stopResult === Results.RETRY ? Results.RETRY : Results.CANCELLED;
  }

  private host(): RuntimeHost {
    return {
      data: this.data, info: this.info, worker: this.setup.worker, properties: this.properties,
      redactor: this.svc.secrets.redactor, log: this.log,
      getSecret: (n) => this.svc.secrets.get(n),
      findTriggerable: (n) => this.svc.findTriggerable(n),
      triggerableNames: () => this.svc.triggerableNames(),
      isStopped: () => this.stopped || this.lostWorker || this.infraReason !== null,
      interruptResult: () => this.interruptResult(),
      onStop: (l) => { this.stopListeners.add(l); return () => this.stopListeners.delete(l); },
      workerLost: () => this.onWorkerLost(),
      isWorkerLost: () => this.lostWorker,
      infrastructureFailure: (reason) => this.onInfrastructureFailure(reason),
      persistProperty: (n, v, s) => this.data.updates.setBuildProperty(this.buildid, n, v, s),
    };
  }

  /**
   * A failure of the master's own, not of the build (its log output could not be kept, the disk is
   * full): the running command is interrupted, no further step runs, and the build ends RETRY with
   * the reason so its requests run again, as after a lost worker. What it writes meanwhile is kept
   * and stored once the database can be written.
   */
  private onInfrastructureFailure(reason: string): void {
    if (this.infraReason !== null || this.lostWorker || this.phase === 'finishing' || this.phase === 'finished') return;
    this.infraReason = reason;
    this.stopReason ??= reason;
    this.log.warn({ buildid: this.buildid, reason }, `${reason}: the build ends RETRY and its requests run again`);
    this.abort.abort(reason);
    for (const l of this.stopListeners) l(reason);
  }

  private onWorkerLost(): void {
    if (this.lostWorker || this.phase === 'finished') return;
    this.lostWorker = true;
    // Buildbot's lostRemote: the summary so far is replaced by "lost connection".
    this.texts.splice(0, this.texts.length, 'lost connection');
    this.log.warn({ buildid: this.buildid }, 'worker lost during the build; it ends RETRY and its requests run again');
    this.abort.abort('worker lost');
    for (const l of this.stopListeners) l('worker lost');
  }

  private async runStep(step: BuildStep): Promise<Result> {
    const { updates } = this.data;
    const opts = step.options;
    const added = await updates.addStep({ buildid: this.buildid, name: step.name });
    const rt = new StepRuntimeImpl(this.host(), added.stepid, added.name);
    rt.allowAfterStop = !!opts.alwaysRun;
    await updates.startStep(added.stepid);
    let result: Result = Results.SUCCESS;
    let stepLocks: LockHandle | null = null;
    let maxTimer: NodeJS.Timeout | null = null;
    let timedOut = false;
    const unsubInterrupt = rt.onStop((reason) => { try { step.interrupt?.(reason); } catch { /* the runtime interrupts commands anyway */ } });
    try {
      rt.workdir = String(await rt.render(opts.workdir ?? 'build'));
      const run = typeof opts.doStepIf === 'function' ? await opts.doStepIf(rt) : opts.doStepIf ?? true;
      if (!run) {
        result = Results.SKIPPED;
      } else {
        if (opts.locks?.length) {
          await rt.setStateString('waiting for locks');
          stepLocks = await this.svc.locks.acquire(`step ${step.name} of ${this.builderName}#${this.number}`, opts.locks, this.workerName, this.abort.signal);
        }
        await rt.setStateString(describe(await rt.render(opts.description)) ?? step.name);
        if (opts.maxTime) {
          maxTimer = setTimeout(() => { timedOut = true; rt.interruptAll(`maxTime of ${opts.maxTime} s exceeded`); }, opts.maxTime * 1000);
        }
        result = await step.run(rt);
      }
    } catch (err) {
      if (err instanceof LockCancelledError) {
        result = this.lostWorker || this.infraReason !== null ? Results.RETRY : Results.CANCELLED;
      } else {
        result = Results.EXCEPTION;
        this.log.error({ err, step: added.name }, 'step raised an exception');
        try {
          const l = await rt.addLog('err.text', 't');
          l.addContent(`${(err as Error)?.stack ?? String(err)}\n`);
        } catch { /* the error is logged above already */ }
      }
    } finally {
      if (maxTimer) clearTimeout(maxTimer);
      stepLocks?.release();
      unsubInterrupt();
    }
    if ((this.lostWorker || this.infraReason !== null) && result !== Results.SKIPPED) result = Results.RETRY;
    // Stopped by a master shutdown, the step runs again with its build: RETRY, as Buildbot keeps a RETRY step result.
    else if (this.stopped && !opts.alwaysRun && result !== Results.SKIPPED && result !== Results.EXCEPTION) result = this.interruptResult();
    else if (timedOut && (result === Results.SUCCESS || result === Results.WARNINGS)) result = Results.FAILURE;
    await rt.finishLogs();
    // A log may learn only now, when it is stored, that lines of it had to be dropped.
    if (this.infraReason !== null && result !== Results.SKIPPED) result = Results.RETRY;

    let summary = rt.stepSummary;
    if (summary === null) {
      summary = describe(await rt.render(opts.descriptionDone).catch(() => undefined)) ?? describe(await rt.render(opts.description).catch(() => undefined)) ?? added.name;
      const suffix = describe(await rt.render(opts.descriptionSuffix).catch(() => undefined));
      if (suffix) summary += ` ${suffix}`;
      if (timedOut) summary += ' (timed out)';
      if (result !== Results.SUCCESS) summary += ` (${resultName(result)})`;
    }
    const finalState = this.svc.secrets.redactor.redact(summary);
    let hidden = false;
    try {
      hidden = typeof opts.hideStepIf === 'function' ? !!(await opts.hideStepIf(result, rt)) : !!opts.hideStepIf;
    } catch (err) {
      this.log.warn({ err, step: added.name }, 'hideStepIf raised; the step is shown');
    }
    await updates.finishStep(added.stepid, result, hidden, finalState);
    const forBuild = stepBuildSummary(opts, result, finalState, rt.buildSummary);
    if (forBuild) {
      // As Buildbot's stepDone: the build shows the summaries so far while it runs.
      this.texts.push(forBuild);
      await updates.setBuildStateString(this.buildid, this.texts.join(' '));
    }
    return result;
  }

  /**
   * Finishes the build and settles its requests: RETRY unclaims them (they run again), anything
   * else completes them. While the database is unavailable each write is retried (resilient-updates)
   * for up to `outageTimeoutMs`: giving up at once would leave the requests claimed by this
   * (running) master, so they would not run again until it restarts. After that, startup recovery
   * settles them.
   */
  private async report(): Promise<void> {
    this.phase = 'finishing';
    try {
      await this.reportOnce();
    } catch (err) {
      this.log.error({ err, buildid: this.buildid, brids: this.brids }, 'recording the build result failed; giving up: startup recovery will settle it');
    }
  }

  private async reportOnce(): Promise<void> {
    const { updates } = this.data;
    const brids = this.brids;
    if (this.buildid) {
      const text = finalBuildText(this.results, this.stopReason, this.texts);
      await updates.finishBuild(this.buildid, this.results, this.svc.secrets.redactor.redact(text));
    }
    if (this.results === Results.RETRY) {
      await updates.unclaimBuildRequests(brids);
    } else {
      // completeBuildRequests settles the buildsets of the requests it completes; when it completed
      // nothing (they were completed elsewhere meanwhile), check them here.
      if (!(await updates.completeBuildRequests(brids, this.results))) {
        for (const bsid of new Set(this.setup.requests.map((r) => r.buildsetid))) await updates.maybeBuildsetComplete(bsid);
      }
    }
  }
}

/** Default of BuildServices.outageTimeoutMs (and of the config's db.outageTimeout): one hour. */
/** `db.outageTimeout`'s default (options/master.ts), in ms. */
export const DEFAULT_OUTAGE_TIMEOUT_MS = DB_OPTION_DEFAULTS.outageTimeout * 1000;

function describe(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return Array.isArray(v) ? v.join(' ') : String(v);
}
