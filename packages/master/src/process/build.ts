/**
 * One build: sets up its properties, holds the builder's locks, runs the steps in order with
 * Buildbot's result rules, and reports the outcome to the data layer. Buildbot semantics:
 *  - after a haltOnFailure failure, or an EXCEPTION/RETRY/CANCELLED step, or a stop, only
 *    alwaysRun steps still run (the others are not even added);
 *  - a stopped build ends CANCELLED (or RETRY when the master shuts down: it runs again later);
 *  - a lost worker ends the build RETRY and its requests are unclaimed so they run again;
 *  - step 0 is `worker_preparation`, spanning the preparation of the build (properties, locks):
 *    SUCCESS "worker <name> ready", or EXCEPTION "error while <what>" (CANCELLED when stopped);
 *  - the final state_string is Buildbot's: a result word, "(stop reason)", then the build summaries
 *    of the steps (see build-summary.ts).
 */
import type { BuildRequestRow, SourceStampRow } from '../data/updates-api.js';
import type { SourcedProperties } from '../data/types.js';
import type { BuilderConfig } from './builder-config.js';
import type { RemoteWorker } from '../workers/types.js';
import { foldStepResult } from './build-results.js';
import { finalBuildText, stepBuildSummary } from './build-summary.js';
import { lazyChildLogger, type EngineData, type EngineLogger } from './engine-data.js';
import { LockCancelledError, type LockHandle, type LockRegistry } from './locks.js';
import { Properties } from './properties.js';
import { Results, resultName, type Result } from '../model/results.js';
import type { SecretManager } from './secrets.js';
import type { BuildInfo, BuildStep, SourceStampInfo, Triggerable } from './step-types.js';
import { StepRuntimeImpl, type RuntimeHost } from './step-runtime.js';

export interface BuildServices {
  data: EngineData;
  masterid: number;
  masterDir: string;
  secrets: SecretManager;
  locks: LockRegistry;
  log: EngineLogger;
  /** Global properties from the config (source 'Global'). */
  globalProperties: Readonly<Record<string, unknown>>;
  findTriggerable(name: string): Triggerable | undefined;
  triggerableNames(): string[];
  /**
   * How long a finished build keeps retrying to record its result and settle its requests while
   * the database is unreachable, ms. Default DEFAULT_REPORT_RETRY_MS (10 minutes).
   */
  reportRetryMs?: number;
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
  private log: EngineLogger;
  /** Resolves with the final result once the build is fully reported. */
  readonly finished: Promise<Result>;
  private resolveFinished!: (r: Result) => void;

  constructor(private readonly svc: BuildServices, readonly setup: BuildSetup) {
    this.log = lazyChildLogger(svc.log, { builder: setup.builder.name, worker: setup.worker.name });
    this.finished = new Promise((r) => { this.resolveFinished = r; });
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
    const { data } = this.svc;
    const req = this.setup.requests[0];
    const unsubLost = this.setup.worker.onDisconnect(() => this.onWorkerLost());
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
        workerName: this.workerName, builddir: this.setup.builder.workerbuilddir, masterDir: this.svc.masterDir,
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
      } else {
        this.log.error({ err }, 'build failed with an internal error');
        this.results = Results.EXCEPTION;
      }
      await this.failPreparation(err);
    } finally {
      buildLocks?.release();
      unsubLost();
    }
    if (this.lostWorker) this.results = Results.RETRY;
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
    const { updates } = this.svc.data;
    try {
      if (this.lostWorker) {
        await updates.finishStep(stepid, Results.RETRY, false, `worker lost while ${this.prepWhat}`);
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
      if (this.lostWorker) break; // nothing can run without a worker
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
      const folded = foldStepResult(step.options, result, this.results);
      this.results = folded.result;
      if (folded.terminate) this.terminate = true;
    }
  }

  private host(): RuntimeHost {
    return {
      data: this.svc.data, info: this.info, worker: this.setup.worker, properties: this.properties,
      redactor: this.svc.secrets.redactor, log: this.log,
      getSecret: (n) => this.svc.secrets.get(n),
      findTriggerable: (n) => this.svc.findTriggerable(n),
      triggerableNames: () => this.svc.triggerableNames(),
      isStopped: () => this.stopped || this.lostWorker,
      onStop: (l) => { this.stopListeners.add(l); return () => this.stopListeners.delete(l); },
      workerLost: () => this.onWorkerLost(),
      isWorkerLost: () => this.lostWorker,
      persistProperty: (n, v, s) => this.svc.data.updates.setBuildProperty(this.buildid, n, v, s),
    };
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
    const { updates } = this.svc.data;
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
        result = this.lostWorker ? Results.RETRY : Results.CANCELLED;
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
    if (this.lostWorker && result !== Results.SKIPPED) result = Results.RETRY;
    else if (this.stopped && !opts.alwaysRun && result !== Results.SKIPPED && result !== Results.EXCEPTION) result = Results.CANCELLED;
    else if (timedOut && (result === Results.SUCCESS || result === Results.WARNINGS)) result = Results.FAILURE;
    await rt.finishLogs();

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
   * else completes them. While the database is unreachable this is retried with backoff for
   * `reportRetryMs`: giving up at once would leave the requests claimed by this (running) master,
   * so they would not run again until it restarts. After that, startup recovery settles them.
   */
  private async report(): Promise<void> {
    this.phase = 'finishing';
    const limitMs = this.svc.reportRetryMs ?? DEFAULT_REPORT_RETRY_MS;
    const deadline = Date.now() + limitMs;
    let delay = REPORT_RETRY_FIRST_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.reportOnce();
        if (attempt > 1) this.log.info({ buildid: this.buildid, attempts: attempt }, 'build result recorded after the database came back');
        return;
      } catch (err) {
        if (Date.now() + delay > deadline) {
          this.log.error({ err, buildid: this.buildid, brids: this.brids, attempts: attempt }, `recording the build result failed for ${limitMs} ms (reportRetryMs); giving up: startup recovery will settle it`);
          return;
        }
        this.log.warn({ err, buildid: this.buildid, brids: this.brids, attempt, retryInMs: delay }, 'recording the build result failed (is the database reachable?); retrying');
        // Unref'd: a retry must not keep a stopping process alive.
        await new Promise((r) => setTimeout(r, delay).unref());
        delay = Math.min(delay * 2, REPORT_RETRY_MAX_MS);
      }
    }
  }

  private buildRecorded = false;

  /** One attempt at report(); each part done is not repeated by the next attempt. */
  private async reportOnce(): Promise<void> {
    const { updates } = this.svc.data;
    const brids = this.brids;
    if (this.buildid && !this.buildRecorded) {
      const text = finalBuildText(this.results, this.stopReason, this.texts);
      await updates.finishBuild(this.buildid, this.results, this.svc.secrets.redactor.redact(text));
      this.buildRecorded = true;
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

/** Default of BuildServices.reportRetryMs: how long a build retries recording its result. */
export const DEFAULT_REPORT_RETRY_MS = 10 * 60_000;
const REPORT_RETRY_FIRST_MS = 250;
const REPORT_RETRY_MAX_MS = 10_000;

function describe(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return Array.isArray(v) ? v.join(' ') : String(v);
}
