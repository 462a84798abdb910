/**
 * A scripted StepRuntime for step unit tests: records every remote command (with its arguments),
 * answers each with a result chosen by the test, keeps logs, properties and summaries in memory.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type {
  StepLog, LogType, PropertiesView, RunCommandOptions, SourceStampInfo, StepCommandResult, StepRuntime,
  TriggerHandle, TriggerRequest, BuildInfo,
} from '../../src/process/step-types.js';
import { isRenderable } from '../../src/process/step-types.js';
import type { CommandCallbacks, RemoteWorker, RunningCommand, UpdatePair } from '../../src/workers/types.js';

export interface Recorded {
  command: string;
  args: Record<string, unknown>;
  /** For shell commands: the argv (or string) for easy assertions. */
  argv?: string | string[];
}

export interface Scripted {
  rc?: number | null;
  stdout?: string;
  stderr?: string;
  updates?: Record<string, unknown>;
  interrupted?: boolean;
  failure?: { message: string; lostConnection?: boolean };
  /** For uploads: bytes the "worker" sends (written to masterDest). */
  upload?: Buffer;
}

export type Responder = (cmd: Recorded) => Scripted | undefined;

export class FakeLog implements StepLog {
  stdout = '';
  stderr = '';
  header = '';
  content = '';
  finished = false;
  constructor(readonly name: string, readonly type: LogType, readonly logid: number) {}
  addStdout(t: string) { this.stdout += t; }
  addStderr(t: string) { this.stderr += t; }
  addHeader(t: string) { this.header += t; }
  addContent(t: string) { this.content += t; }
  async finish() { this.finished = true; }
  get all() { return this.header + this.stdout + this.stderr + this.content; }
}

class Props implements PropertiesView {
  map = new Map<string, [unknown, string]>();
  getProperty<T>(name: string, d?: T) { return (this.map.has(name) ? this.map.get(name)![0] : d) as T | undefined; }
  hasProperty(name: string) { return this.map.has(name); }
  getPropertySource(name: string) { return this.map.get(name)?.[1]; }
  setProperty(name: string, value: unknown, source: string) { this.map.set(name, [value, source]); }
  asDict() { return Object.fromEntries(this.map); }
}

export interface FakeOptions {
  sourcestamps?: SourceStampInfo[];
  workdir?: string;
  masterDir?: string;
  responder?: Responder;
  properties?: Record<string, unknown>;
  pathFlavour?: 'posix' | 'win32';
  trigger?: (req: TriggerRequest) => Promise<TriggerHandle>;
  /** A real connected worker: commands go to it instead of the responder (end-to-end tests). */
  liveWorker?: RemoteWorker;
  builderName?: string;
  /** Secrets' redaction, as the build's runtime does it (default: none). */
  redact?: (text: string) => string;
}

export class FakeRuntime implements StepRuntime {
  readonly commands: Recorded[] = [];
  readonly logs = new Map<string, FakeLog>();
  readonly stateStrings: string[] = [];
  readonly summaries: Array<{ step?: string; build?: string }> = [];
  readonly urls: Array<[string, string]> = [];
  readonly triggers: TriggerRequest[] = [];
  readonly properties = new Props();
  readonly build: BuildInfo;
  readonly worker: RemoteWorker;
  readonly workdir: string;
  readonly stepid = 1;
  readonly log = { trace() {}, info() {}, warn() {}, error() {}, debug() {} };
  stopped = false;
  private stopListeners = new Set<(r: string) => void>();
  private nextLogId = 1;

  constructor(private readonly opts: FakeOptions = {}) {
    this.workdir = opts.workdir ?? 'build';
    this.build = {
      buildid: 7, number: 3, builderid: 1, builderName: 'b', buildrequestid: 11, workerName: 'w0',
      builddir: opts.builderName ?? 'b', masterDir: opts.masterDir ?? '/tmp/master', sourcestamps: opts.sourcestamps ?? [],
    };
    if (opts.builderName) (this.build as { builderName: string }).builderName = opts.builderName;
    for (const [k, v] of Object.entries(opts.properties ?? {})) this.properties.setProperty(k, v, 'test');
    if (opts.liveWorker) {
      // Record what the step sends, then let the real worker do it.
      const live = opts.liveWorker;
      const recordAnd = <T,>(command: string, args: object, go: () => T): T => { this.commands.push({ command, args: { ...args } }); return go(); };
      this.worker = Object.assign(Object.create(live), {
        startCommand: (b: string, command: string, args: Record<string, unknown>, cb?: CommandCallbacks) =>
          recordAnd(command, args, () => live.startCommand(b, command, args, cb)),
        uploadFile: (b: string, o: Parameters<RemoteWorker['uploadFile']>[1], cb?: CommandCallbacks) => recordAnd('upload_file', o, () => live.uploadFile(b, o, cb)),
        uploadDirectory: (b: string, o: Parameters<RemoteWorker['uploadDirectory']>[1], cb?: CommandCallbacks) => recordAnd('upload_directory', o, () => live.uploadDirectory(b, o, cb)),
        downloadFile: (b: string, o: Parameters<RemoteWorker['downloadFile']>[1], cb?: CommandCallbacks) => recordAnd('download_file', o, () => live.downloadFile(b, o, cb)),
      }) as RemoteWorker;
      return;
    }
    const fakeRunning = (rec: Recorded, cb: CommandCallbacks, onDone?: (s: Scripted) => void): RunningCommand => ({
      commandId: String(this.commands.length),
      result: this.answer(rec, cb, onDone),
      interrupt: async () => {},
    });
    this.worker = {
      name: 'w0', info: { basedir: '/wk' }, pathFlavour: opts.pathFlavour ?? 'posix',
      startCommand: (_b, command, args, cb) => fakeRunning({ command, args }, cb ?? {}),
      uploadFile: (_b, o, cb) => fakeRunning({ command: 'upload_file', args: { ...o } }, cb ?? {}, (s) => {
        if (s.upload && (s.rc ?? 0) === 0) { mkdirSync(dirname(o.masterDest), { recursive: true }); writeFileSync(o.masterDest, s.upload); }
      }),
      uploadDirectory: (_b, o, cb) => fakeRunning({ command: 'upload_directory', args: { ...o } }, cb ?? {}),
      downloadFile: (_b, o, cb) => fakeRunning({ command: 'download_file', args: { ...o } }, cb ?? {}),
      ping: async () => true,
      onDisconnect: () => () => {},
      shutdown: async () => {},
    };
  }

  /** Shell argvs only, in order: the easiest thing to assert for composed git sequences. */
  get shellArgvs(): Array<string | string[]> {
    return this.commands.filter((c) => c.command === 'shell').map((c) => c.argv!);
  }

  /** `git x y` strings of the shell commands (config `-c` flags included). */
  get gitLines(): string[] {
    return this.shellArgvs.map((a) => (Array.isArray(a) ? a.join(' ') : a));
  }

  private async answer(rec: Recorded, cb: CommandCallbacks, onDone?: (s: Scripted) => void): Promise<StepCommandResult> {
    this.commands.push(rec);
    const s = this.opts.responder?.(rec) ?? {};
    onDone?.(s);
    const updates: Record<string, unknown> = { ...(s.updates ?? {}) };
    const emit = (pair: UpdatePair) => cb.onUpdate?.(pair);
    if (s.stdout) emit(['stdout', s.stdout]);
    if (s.stderr) emit(['stderr', s.stderr]);
    const rc = s.rc === undefined ? 0 : s.rc;
    if (rc !== null) updates.rc = rc;
    return { rc, updates, interrupted: s.interrupted ?? false, failure: s.failure, stdout: s.stdout, stderr: s.stderr };
  }

  async render<T>(value: T): Promise<any> {
    const ctx = { properties: this.properties, sourcestamps: this.build.sourcestamps, workerInfo: {}, getSecret: async () => undefined };
    const walk = async (v: unknown): Promise<unknown> => {
      if (isRenderable(v)) return walk(await v.getRenderingFor(ctx));
      if (Array.isArray(v)) return Promise.all(v.map(walk));
      if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await walk(x);
        return out;
      }
      return v;
    };
    return walk(value);
  }

  getProperty<T>(name: string, d?: T) { return this.properties.getProperty(name, d); }
  async setProperty(name: string, value: unknown, source = 'step') { this.properties.setProperty(name, value, source); }
  getSourceStamp(codebase = '') { return this.build.sourcestamps.find((s) => s.codebase === codebase); }
  async getSecret() { return undefined; }

  async addLog(name: string, type: LogType = 's') {
    const log = new FakeLog(name, type, this.nextLogId++);
    this.logs.set(name, log);
    return log;
  }

  private async logFor(ref: StepLog | string | null | undefined): Promise<StepLog | null> {
    if (ref === null) return null;
    if (ref === undefined) ref = 'stdio';
    if (typeof ref !== 'string') return ref;
    return this.logs.get(ref) ?? this.addLog(ref);
  }

  async runCommand(command: string, args: Record<string, unknown>, opts: RunCommandOptions = {}): Promise<StepCommandResult> {
    if (this.opts.liveWorker) {
      const res = await this.route(opts, (cb) => this.worker.startCommand(this.build.builderName, command, args, cb).result);
      if (command === 'shell') this.commands.at(-1)!.argv = args.command as string | string[];
      return res;
    }
    const rec: Recorded = { command, args };
    if (command === 'shell') rec.argv = args.command as string | string[];
    return this.route(opts, (cb) => this.answer(rec, cb));
  }

  async runRemote(start: (w: RemoteWorker, b: string, cb: CommandCallbacks) => RunningCommand, opts: RunCommandOptions = {}) {
    return this.route(opts, (cb) => start(this.worker, this.build.builderName, cb).result);
  }

  private async route(opts: RunCommandOptions, go: (cb: CommandCallbacks) => Promise<StepCommandResult>): Promise<StepCommandResult> {
    if (this.stopped) return { rc: null, updates: {}, interrupted: true };
    const log = await this.logFor(opts.stdioLog);
    const text = (v: unknown) => (typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : String(v));
    let out = '';
    let err = '';
    const res = await go({
      onUpdate: (pair) => {
        if (pair[0] === 'stdout') { out += text(pair[1]); log?.addStdout(text(pair[1])); }
        if (pair[0] === 'stderr') { err += text(pair[1]); log?.addStderr(text(pair[1])); }
        if (pair[0] === 'header') log?.addHeader(text(pair[1]));
        opts.onUpdate?.(pair);
      },
    });
    const live = !!this.opts.liveWorker;
    if (opts.collectStdout) res.stdout = live ? out : res.stdout; else delete res.stdout;
    if (opts.collectStderr) res.stderr = live ? err : res.stderr; else delete res.stderr;
    return res;
  }

  redact(t: string) { return this.opts.redact ? this.opts.redact(t) : t; }
  async setStateString(t: string) { this.stateStrings.push(t); }
  async updateSummary(s: { step?: string; build?: string }) { this.summaries.push(s); }
  async addURL(name: string, url: string) { this.urls.push([name, url]); }
  isStopped() { return this.stopped; }
  onStop(l: (r: string) => void) { this.stopListeners.add(l); return () => this.stopListeners.delete(l); }
  stop(reason = 'test') { this.stopped = true; for (const l of this.stopListeners) l(reason); }

  async triggerBuilds(req: TriggerRequest): Promise<TriggerHandle> {
    this.triggers.push(req);
    if (!this.opts.trigger) throw new Error('no trigger handler scripted');
    return this.opts.trigger(req);
  }
}

/** Responder helpers. */
export const ok = (extra: Scripted = {}): Scripted => ({ rc: 0, ...extra });
export const HASH = 'a'.repeat(40);

/** Matches a shell command by a substring of its joined argv. */
export function isGit(rec: Recorded, sub: string): boolean {
  return rec.command === 'shell' && (Array.isArray(rec.argv) ? rec.argv.join(' ') : String(rec.argv)).includes(sub);
}
