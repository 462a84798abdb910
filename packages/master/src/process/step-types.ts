/**
 * The step contract: what a configured step is (StepFactory), what a running step is (BuildStep),
 * and what a running step may use (StepRuntime). Concrete steps live in `src/steps/`; the build
 * (`process/build.ts`) drives them. Steps never see protocol messages or the database directly.
 */
import type { CommandResult, RemoteWorker, RunningCommand, CommandCallbacks } from '../workers/types.js';
import type { Logger } from 'mastro-protocol';
import type { Result, ResultRules } from '../model/results.js';
import type { LockAccess } from './lock-types.js';

// ---------------------------------------------------------------------------------------------
// Renderables: values computed at build time from properties (Interpolate, Property, renderer()).

/** Marker shared across module instances (a config loaded through tsx and the compiled master). */
export const RENDERABLE: unique symbol = Symbol.for('mastro.renderable') as any;

export interface Renderable<T = unknown> {
  readonly [RENDERABLE]: true;
  getRenderingFor(ctx: RenderContext): T | Promise<T>;
}

/** A value that may be given literally or as a renderable (possibly nested in arrays/objects). */
export type MaybeRenderable<T> = T | Renderable<T>;

export function isRenderable(x: unknown): x is Renderable {
  return typeof x === 'object' && x !== null && (x as any)[RENDERABLE] === true;
}

/** Read/write view of a property set. Values are JSON-able; every property records its source. */
export interface PropertiesView {
  getProperty<T = unknown>(name: string, defaultValue?: T): T | undefined;
  hasProperty(name: string): boolean;
  getPropertySource(name: string): string | undefined;
  setProperty(name: string, value: unknown, source: string, opts?: { runtime?: boolean }): void;
  /** name -> [value, source], Buildbot's `asDict()` shape. */
  asDict(): Record<string, [unknown, string]>;
}

/** A repository position for one codebase (a build has one per codebase). */
export interface SourceStampInfo {
  ssid?: number;
  codebase: string;
  repository: string;
  branch: string | null;
  revision: string | null;
  project: string;
  patch?: { level: number; subdir: string; body: Buffer | string; author?: string; comment?: string } | null;
}

/** Everything renderables may read. */
export interface RenderContext {
  readonly properties: PropertiesView;
  readonly sourcestamps: readonly SourceStampInfo[];
  /** Worker info (`%(worker:os)s`, `%(worker:numcpus)s`, ...); empty when not on a worker. */
  readonly workerInfo: Readonly<Record<string, unknown>>;
  getSecret(name: string): Promise<string | undefined>;
}

// ---------------------------------------------------------------------------------------------
// Step options and factories.

/** The result flags (haltOnFailure, flunkOnFailure...) are ResultRules: the build folds each step's result with them. */
export interface StepOptions extends ResultRules {
  name?: string;
  /**
   * Results for which this step's summary is added to the build's summary (its state_string), as
   * Buildbot's updateBuildSummaryPolicy: a list of result codes, true (all) or false (none). Default:
   * EXCEPTION, RETRY, CANCELLED, plus FAILURE when flunkOnFailure/haltOnFailure/warnOnFailure, plus
   * WARNINGS when warnOnWarnings/flunkOnWarnings.
   */
  updateBuildSummaryPolicy?: readonly number[] | boolean;
  /** Run even after a haltOnFailure step failed or the build was stopped. */
  alwaysRun?: boolean;
  /** Skip the step (SKIPPED) when false or when the function returns false. */
  doStepIf?: boolean | ((rt: StepRuntime) => boolean | Promise<boolean>);
  /** Hide the finished step in the UI. */
  hideStepIf?: boolean | ((result: Result, rt: StepRuntime) => boolean | Promise<boolean>);
  /** Seconds without output before the worker kills the command (shell steps pass it to the worker). */
  timeout?: number | null;
  /** Hard limit in seconds for the whole step; the build interrupts the step when it is exceeded. */
  maxTime?: number | null;
  /** Locks held while the step runs (acquired together, atomically). */
  locks?: readonly LockAccess[];
  description?: MaybeRenderable<string | string[]>;
  descriptionDone?: MaybeRenderable<string | string[]>;
  descriptionSuffix?: MaybeRenderable<string | string[]>;
  /** Directory on the worker, relative to the builder directory (default 'build'). */
  workdir?: MaybeRenderable<string>;
  /** Renderables may stand for the whole mapping or for single values (`{ BUILD: util.Interpolate('%(prop:buildnumber)s') }`). */
  env?: MaybeRenderable<Record<string, MaybeRenderable<string | string[]>>>;
  logEnviron?: boolean;
}

/** What a config holds: a recipe that creates a fresh BuildStep for each build. */
export interface StepFactory<O extends StepOptions = StepOptions> {
  readonly stepType: string;
  readonly options: Readonly<O & Record<string, unknown>>;
  create(): BuildStep;
}

/** A step instance for one build. */
export interface BuildStep {
  readonly name: string;
  readonly options: Readonly<StepOptions>;
  /** Runs the step; the result is the step's own result (the build applies flunk/warn/halt rules). */
  run(rt: StepRuntime): Promise<Result>;
  /** Called when the build is stopped while this step runs (running commands are interrupted by the runtime anyway). */
  interrupt?(reason: string): void;
}

// ---------------------------------------------------------------------------------------------
// What a running step may use.

/** A step's log, as `addLog` returns it (Buildbot's Log; BufferedStepLog in step-log.ts is the master's). */
export interface StepLog {
  readonly name: string;
  readonly logid: number;
  /**
   * Appends are buffered and coalesced; secrets are redacted, also across chunk boundaries. Output
   * is text, or UTF-8 bytes (as a worker sent them; a character may be split between two appends).
   */
  addStdout(output: string | Uint8Array): void;
  addStderr(output: string | Uint8Array): void;
  addHeader(output: string | Uint8Array): void;
  /** For text ('t') and html ('h') logs. */
  addContent(output: string | Uint8Array): void;
  /**
   * Null while the log accepts output freely; else resolves once buffered output has been stored
   * (backpressure: the worker's `update` is acknowledged only then). Optional for custom writers.
   */
  whenWritable?(): Promise<void> | null;
  /** Flushes the buffer and marks the log complete. Idempotent. */
  finish(): Promise<void>;
}

export type LogType = 's' | 't' | 'h';

export interface RunCommandOptions {
  /** Where stdout/stderr/header updates go: a log (or its name, created on demand). Default 'stdio'; null drops them. */
  stdioLog?: StepLog | string | null;
  /** Worker-side logfiles: `log` updates `[name, text]` are appended to these logs (created on demand when given as names). */
  logfiles?: Record<string, StepLog | string>;
  /** Keep stdout/stderr in memory and return them (setPropertyFromCommand). Bounded by maxCollectBytes. */
  collectStdout?: boolean;
  collectStderr?: boolean;
  /** Default 10 MiB: collected output beyond it is an error rather than unbounded memory. */
  maxCollectBytes?: number;
  /** Extra update handler (e.g. to read `stat`/`files` as they come). */
  onUpdate?: CommandCallbacks['onUpdate'];
}

export interface StepCommandResult extends CommandResult {
  /** Only when collectStdout / collectStderr was asked for; secrets redacted (as Buildbot cleans updates before collecting). */
  stdout?: string;
  stderr?: string;
  /**
   * For an interrupted command, the result the interruption means: RETRY when a master shutdown
   * stopped the build (it runs again), else absent (CANCELLED).
   */
  interruptedAs?: Result;
}

export interface BuildInfo {
  readonly buildid: number;
  readonly number: number;
  readonly builderid: number;
  readonly builderName: string;
  readonly buildrequestid: number;
  readonly workerName: string;
  /** Builder directory on the worker, relative to the worker basedir (Buildbot's `builddir`). */
  readonly builddir: string;
  /** Absolute path of the master directory (master-side paths are resolved against it). */
  readonly masterDir: string;
  readonly sourcestamps: readonly SourceStampInfo[];
  /** The builder's `env`: Buildbot's ShellMixin merges it into every shell command's env (the step's env wins). */
  readonly builderEnv?: Readonly<Record<string, unknown>>;
}

export interface TriggerRequest {
  schedulerName: string;
  /** SourceStamps for the triggered buildset (default: the triggering build's). */
  sourcestamps?: readonly SourceStampInfo[];
  /** Properties set on the triggered buildset: name -> value (source 'Trigger'). */
  properties?: Record<string, unknown>;
  waitForFinish: boolean;
  reason?: string;
}

export interface TriggerHandle {
  /** The buildset made; null when the scheduler makes it later (nightlyTriggerable runs on its timetable). */
  bsid: number | null;
  /** builderid -> buildrequestid */
  brids: Record<number, number>;
  /** Resolves when the buildset completes (its overall result). */
  finished: Promise<{ results: Result }>;
}

/** What a triggerable scheduler exposes to the trigger step (schedulers implement this). */
export interface Triggerable {
  readonly name: string;
  trigger(req: {
    waitedFor: boolean;
    sourcestamps: readonly SourceStampInfo[];
    properties: Record<string, [unknown, string]>;
    parentBuildid: number;
    reason?: string;
  }): Promise<TriggerHandle>;
}

export interface StepRuntime {
  readonly build: BuildInfo;
  readonly worker: RemoteWorker;
  readonly stepid: number;
  /** The step's workdir, rendered (default 'build'). */
  readonly workdir: string;
  readonly properties: PropertiesView;
  /** pino-compatible logger bound to the build and step. */
  readonly log: Logger;

  /** Deep interpolation: renderables (also nested in arrays and plain objects) are replaced by their values. */
  render<T>(value: T): Promise<any>;
  getProperty<T = unknown>(name: string, defaultValue?: T): T | undefined;
  /** Sets a build property (persisted with the build) from this step; source defaults to the step name. */
  setProperty(name: string, value: unknown, source?: string): Promise<void>;
  getSourceStamp(codebase?: string): SourceStampInfo | undefined;
  getSecret(name: string): Promise<string | undefined>;

  addLog(name: string, type?: LogType): Promise<StepLog>;
  /** Runs a worker command (`shell`, `stat`, `mkdir`...). Interrupted when the build is stopped. */
  runCommand(command: string, args: Record<string, unknown>, opts?: RunCommandOptions): Promise<StepCommandResult>;
  /** Same routing and interruption for the file-transfer calls: `rt.runRemote((w, b, cb) => w.uploadFile(b, {...}, cb))`. */
  runRemote(start: (worker: RemoteWorker, builderName: string, callbacks: CommandCallbacks) => RunningCommand, opts?: RunCommandOptions): Promise<StepCommandResult>;

  /**
   * The text with every form of every secret used so far replaced by `<name>`: for what a step
   * derives from text that may hold a secret (a summary from a command's words). Logs, state
   * strings, summaries, URLs' names and collected output are redacted already.
   */
  redact(text: string): string;
  /** Short text shown on the running step ("compiling", "3 tests failed"). */
  setStateString(text: string): Promise<void>;
  /** Final summary of the step (replaces descriptionDone) and optionally a contribution to the build summary. */
  updateSummary(summary: { step?: string; build?: string }): Promise<void>;
  addURL(name: string, url: string): Promise<void>;

  isStopped(): boolean;
  /** Registers a listener for a build stop; returns an unsubscribe function. */
  onStop(listener: (reason: string) => void): () => void;

  /** For the trigger step: hands a buildset to a triggerable scheduler found by name. */
  triggerBuilds(req: TriggerRequest): Promise<TriggerHandle>;
}
