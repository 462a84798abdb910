/**
 * The StepRuntime a running step uses (see step-types.ts for the contract). It owns the step's
 * logs and running commands: commands are interrupted when the build stops, their output is routed
 * into logs (stdout/stderr/header -> the stdio log, `log` updates -> named logs), and everything a
 * step writes for people to read goes through the secret redactor.
 */
import type { CommandCallbacks, CommandResult, RemoteWorker, RunningCommand, UpdatePair } from '../workers/types.js';
import type { Logger } from 'mastro-protocol';
import type { EngineData } from './engine-data.js';
import { BufferedStepLog } from './step-log.js';
import type { Properties } from './properties.js';
import type { Redactor } from './redactor.js';
import { renderValue } from './renderables.js';
import { Results, type Result } from '../model/results.js';
import type {
  BuildInfo, LogType, StepLog, RenderContext, RunCommandOptions, SourceStampInfo, StepCommandResult,
  StepRuntime, TriggerHandle, TriggerRequest, Triggerable,
} from './step-types.js';

/** What the runtime needs from its build. */
export interface RuntimeHost {
  readonly data: EngineData;
  readonly info: BuildInfo;
  readonly worker: RemoteWorker;
  readonly properties: Properties;
  readonly redactor: Redactor;
  readonly log: Logger;
  getSecret(name: string): Promise<string | undefined>;
  findTriggerable(name: string): Triggerable | undefined;
  triggerableNames(): string[];
  isStopped(): boolean;
  /** What an interruption by a stop means: RETRY for a master shutdown, else CANCELLED. */
  interruptResult?(): Result;
  onStop(listener: (reason: string) => void): () => void;
  /** Called when a command ends because the worker connection was lost. */
  workerLost(): void;
  isWorkerLost(): boolean;
  /** A failure of the master's own that the build cannot finish through (log output dropped): it ends RETRY. */
  infrastructureFailure(reason: string): void;
  persistProperty(name: string, value: unknown, source: string): Promise<void>;
}

const DEFAULT_MAX_COLLECT = 10 * 1024 * 1024;

/** The text of a stdout/stderr/header update: a string, or Buildbot 3.7's [text, offsets, times]. */
/**
 * The output of a text update as it should reach a log: a mastro worker sends UTF-8 bytes (kept as
 * bytes, so the master never decodes them), Buildbot workers send text or [text, offsets, times].
 */
export function updateOutput(value: unknown): string | Uint8Array {
  return value instanceof Uint8Array ? value : updateText(value);
}

export function updateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return '';
}

export class StepRuntimeImpl implements StepRuntime {
  readonly build: BuildInfo;
  readonly worker: RemoteWorker;
  readonly properties: Properties;
  readonly log: Logger;
  workdir = 'build';
  /** Set by updateSummary. */
  stepSummary: string | null = null;
  /** The step's explicit contribution to the build summary (updateSummary({ build })); the last one wins. */
  buildSummary: string | null = null;
  private readonly logs = new Map<string, Promise<BufferedStepLog>>();
  private readonly running = new Set<RunningCommand>();
  private readonly unsubscribeStop: () => void;

  constructor(private readonly host: RuntimeHost, readonly stepid: number, readonly stepName: string) {
    this.build = host.info;
    this.worker = host.worker;
    this.properties = host.properties;
    this.log = host.log;
    // A stop interrupts whatever this step is running on the worker.
    this.unsubscribeStop = host.onStop((reason) => this.interruptAll(reason));
  }

  renderContext(): RenderContext {
    return {
      properties: this.properties,
      sourcestamps: this.build.sourcestamps,
      workerInfo: this.worker.info,
      getSecret: (n) => this.host.getSecret(n),
    };
  }

  render<T>(value: T): Promise<any> {
    return renderValue(value, this.renderContext());
  }

  getProperty<T = unknown>(name: string, defaultValue?: T): T | undefined {
    return this.properties.getProperty(name, defaultValue);
  }

  async setProperty(name: string, value: unknown, source?: string): Promise<void> {
    const src = source ?? this.stepName;
    this.properties.setProperty(name, value, src, { runtime: true });
    await this.host.persistProperty(name, this.properties.getProperty(name), src);
  }

  getSourceStamp(codebase = ''): SourceStampInfo | undefined {
    return this.build.sourcestamps.find((s) => s.codebase === codebase) ?? (codebase === '' && this.build.sourcestamps.length === 1 ? this.build.sourcestamps[0] : undefined);
  }

  getSecret(name: string): Promise<string | undefined> { return this.host.getSecret(name); }

  addLog(name: string, type: LogType = 's'): Promise<StepLog> {
    return this.getLog(name, type);
  }

  private getLog(name: string, type: LogType): Promise<BufferedStepLog> {
    let p = this.logs.get(name);
    if (!p) {
      p = this.host.data.updates.addLog({ stepid: this.stepid, name, type })
        .then((logid) => new BufferedStepLog(this.host.data.updates, logid, name, type, this.host.redactor, {
          // Lines the master could not keep through a database outage: the build must run again.
          onLinesDropped: () => this.host.infrastructureFailure('database unavailable: log output dropped'),
        }));
      this.logs.set(name, p);
    }
    return p;
  }

  private async resolveLog(spec: StepLog | string | null | undefined, dflt: string | null): Promise<StepLog | null> {
    if (spec === null) return null;
    if (spec === undefined) return dflt === null ? null : this.getLog(dflt, 's');
    if (typeof spec === 'string') return this.getLog(spec, 's');
    return spec;
  }

  runCommand(command: string, args: Record<string, unknown>, opts: RunCommandOptions = {}): Promise<StepCommandResult> {
    return this.runRemote((w, builderName, cb) => w.startCommand(builderName, command, args, cb), opts);
  }

  async runRemote(
    start: (worker: RemoteWorker, builderName: string, callbacks: CommandCallbacks) => RunningCommand,
    opts: RunCommandOptions = {},
  ): Promise<StepCommandResult> {
    if (this.host.isWorkerLost()) {
      return { rc: null, updates: {}, interrupted: false, failure: { message: 'the worker connection was lost', lostConnection: true } };
    }
    const stdio = await this.resolveLog(opts.stdioLog, 'stdio');
    const logfiles = new Map<string, StepLog>();
    for (const [name, spec] of Object.entries(opts.logfiles ?? {})) {
      const l = await this.resolveLog(spec, null);
      if (l) logfiles.set(name, l);
    }
    const maxCollect = opts.maxCollectBytes ?? DEFAULT_MAX_COLLECT;
    const collected = { stdout: [] as string[], stderr: [] as string[], bytes: 0, overflow: false };
    const collect = (which: 'stdout' | 'stderr', output: string | Uint8Array) => {
      if (collected.overflow) return;
      const text = typeof output === 'string' ? output : Buffer.from(output.buffer, output.byteOffset, output.byteLength).toString('utf8');
      collected.bytes += text.length;
      if (collected.bytes > maxCollect) { collected.overflow = true; return; }
      collected[which].push(text);
    };
    // Returns the log's backpressure promise, if any: the worker's update is acknowledged after it.
    const onUpdate = (pair: UpdatePair): Promise<void> | null => {
      const [key, value] = pair;
      let target: StepLog | null | undefined = null;
      switch (key) {
        case 'stdout': { const t = updateOutput(value); stdio?.addStdout(t); target = stdio; if (opts.collectStdout) collect('stdout', t); break; }
        case 'stderr': { const t = updateOutput(value); stdio?.addStderr(t); target = stdio; if (opts.collectStderr) collect('stderr', t); break; }
        case 'header': stdio?.addHeader(updateOutput(value)); target = stdio; break;
        case 'log': {
          if (Array.isArray(value) && typeof value[0] === 'string') {
            target = logfiles.get(value[0]);
            target?.addStdout(updateOutput(value[1]));
          }
          break;
        }
      }
      opts.onUpdate?.(pair);
      return target?.whenWritable?.() ?? null;
    };
    if (this.host.isStopped() && !this.allowAfterStop) {
      return this.interrupted({ rc: null, updates: {}, interrupted: true });
    }
    const cmd = start(this.worker, this.build.builderName, { onUpdate });
    this.running.add(cmd);
    let result: CommandResult;
    try {
      result = await cmd.result;
    } finally {
      this.running.delete(cmd);
    }
    if (result.failure?.lostConnection) this.host.workerLost();
    if (collected.overflow) {
      throw new Error(`command output exceeded maxCollectBytes (${maxCollect} bytes); raise the step's maxCollectBytes or write the output to a file`);
    }
    const out: StepCommandResult = this.interrupted({ ...result });
    // Redacted as a whole, so a secret split across updates is found; what steps parse from the
    // output (properties, extract_fn) then never holds a secret.
    if (opts.collectStdout) out.stdout = this.redact(collected.stdout.join(''));
    if (opts.collectStderr) out.stderr = this.redact(collected.stderr.join(''));
    return out;
  }

  /** Marks an interrupted command with what its build's stop means (RETRY for a master shutdown). */
  private interrupted(res: StepCommandResult): StepCommandResult {
    if (!res.interrupted || !this.host.isStopped()) return res;
    const as = this.host.interruptResult?.();
    return as === Results.RETRY ? { ...res, interruptedAs: as } : res;
  }

  /** alwaysRun steps may still run commands after the build was stopped. */
  allowAfterStop = false;

  interruptAll(reason: string): void {
    for (const cmd of this.running) cmd.interrupt(reason).catch((err) => this.log.warn({ err }, 'interrupting a command failed'));
  }

  redact(text: string): string { return this.host.redactor.redact(text); }

  async setStateString(text: string): Promise<void> {
    await this.host.data.updates.setStepStateString(this.stepid, this.host.redactor.redact(text));
  }

  async updateSummary(summary: { step?: string; build?: string }): Promise<void> {
    if (summary.step !== undefined) this.stepSummary = this.host.redactor.redact(summary.step);
    if (summary.build !== undefined) this.buildSummary = this.host.redactor.redact(summary.build);
  }

  async addURL(name: string, url: string): Promise<void> {
    await this.host.data.updates.addStepURL(this.stepid, this.host.redactor.redact(name), url);
  }

  isStopped(): boolean { return this.host.isStopped(); }
  onStop(listener: (reason: string) => void): () => void { return this.host.onStop(listener); }

  async triggerBuilds(req: TriggerRequest): Promise<TriggerHandle> {
    const sched = this.host.findTriggerable(req.schedulerName);
    if (!sched) {
      const known = this.host.triggerableNames();
      throw new Error(`trigger: no triggerable scheduler named '${req.schedulerName}' (configured: ${known.length ? known.join(', ') : 'none'}); add schedulers.triggerable({ name: '${req.schedulerName}', builderNames: [...] }) to the config`);
    }
    const properties: Record<string, [unknown, string]> = {};
    for (const [k, v] of Object.entries(req.properties ?? {})) properties[k] = [v, 'Trigger'];
    return sched.trigger({
      waitedFor: req.waitForFinish,
      sourcestamps: req.sourcestamps ?? this.build.sourcestamps,
      properties,
      parentBuildid: this.build.buildid,
      reason: req.reason,
    });
  }

  /** Flushes and completes every log of the step; called by the build when the step ends. */
  async finishLogs(): Promise<void> {
    this.unsubscribeStop();
    const writers = await Promise.allSettled([...this.logs.values()]);
    await Promise.all(writers.map((w) => (w.status === 'fulfilled' ? w.value.finish().catch((err) => this.log.warn({ err, log: w.value.name }, 'finishing a log failed')) : undefined)));
  }
}
