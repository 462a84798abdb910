/**
 * Test harness for the engine: a real data layer on in-memory SQLite, a botmaster, and fake
 * workers whose commands are scripted in the test (the real worker process is exercised by the
 * end-to-end tests under test/).
 */
import type { BuilderConfig, WorkerConfig, WorkerPoolConfig } from '../../src/config/types.js';
import { openDatabase, type Db } from '../../src/db/index.js';
import { DataConnector } from '../../src/data/index.js';
import { InProcessMessageQueue } from '../../src/mq/bus.js';
import { Botmaster } from '../../src/process/botmaster.js';
import type { BuildServices } from '../../src/process/build.js';
import { LockRegistry } from '../../src/process/locks.js';
import { Results, type Result } from '../../src/model/results.js';
import { SecretManager, staticProvider } from '../../src/process/secrets.js';
import type { BuildStep, StepFactory, StepOptions, StepRuntime } from '../../src/process/step-types.js';
import type { CommandCallbacks, CommandResult, RemoteWorker, RunningCommand, UpdatePair, WorkerInfo } from '../../src/workers/types.js';

export type CommandScript = (cmd: { command: string; args: Record<string, unknown>; emit(pair: UpdatePair): void; interrupted: Promise<string> }) => Promise<Partial<CommandResult>>;

export class FakeWorker implements RemoteWorker {
  readonly info: WorkerInfo = { basedir: '/work', system: 'posix' };
  readonly pathFlavour = 'posix' as const;
  private readonly listeners = new Set<() => void>();
  private readonly active = new Set<(r: CommandResult) => void>();
  readonly commands: Array<{ command: string; args: Record<string, unknown> }> = [];
  connected = true;

  constructor(readonly name: string, public script: CommandScript = async () => ({ rc: 0 })) {}

  startCommand(_builder: string, command: string, args: Record<string, unknown>, callbacks?: CommandCallbacks): RunningCommand {
    this.commands.push({ command, args });
    let interrupt!: (why: string) => void;
    const interrupted = new Promise<string>((r) => { interrupt = r; });
    let wasInterrupted = false;
    let settle!: (r: CommandResult) => void;
    const result = new Promise<CommandResult>((r) => { settle = r; });
    this.active.add(settle);
    const updates: Record<string, unknown> = {};
    const emit = (pair: UpdatePair) => { updates[pair[0]] = pair[1]; callbacks?.onUpdate?.(pair); };
    this.script({ command, args, emit, interrupted }).then((r) => {
      this.active.delete(settle);
      settle({ rc: 0, updates, interrupted: wasInterrupted, ...r });
    });
    return {
      commandId: String(this.commands.length), result,
      interrupt: async (why) => { wasInterrupted = true; interrupt(why); },
    };
  }

  uploadFile(): RunningCommand { throw new Error('not used'); }
  uploadDirectory(): RunningCommand { throw new Error('not used'); }
  downloadFile(): RunningCommand { throw new Error('not used'); }
  async ping(): Promise<boolean> { return this.connected; }
  async shutdown(): Promise<void> {}
  onDisconnect(listener: () => void): () => void { this.listeners.add(listener); return () => this.listeners.delete(listener); }

  /** Simulates a lost connection: running commands fail with lostConnection, listeners fire. */
  disconnect(): void {
    this.connected = false;
    for (const settle of this.active) settle({ rc: null, updates: {}, interrupted: false, failure: { message: 'connection lost', lostConnection: true } });
    this.active.clear();
    for (const l of this.listeners) l();
  }
}

/** A step that runs one `shell` command: rc 0 -> SUCCESS, else FAILURE; interrupted -> CANCELLED. */
export function cmdStep(name: string, opts: StepOptions = {}, args: Record<string, unknown> = { command: ['true'] }): StepFactory {
  const options = { name, ...opts };
  return {
    stepType: 'test', options,
    create(): BuildStep {
      return {
        name, options,
        async run(rt: StepRuntime): Promise<Result> {
          const r = await rt.runCommand('shell', { ...(await rt.render(args)), workdir: rt.workdir });
          if (r.interrupted) return Results.CANCELLED;
          if (r.failure) return r.failure.lostConnection ? Results.RETRY : Results.EXCEPTION;
          return r.rc === 0 ? Results.SUCCESS : Results.FAILURE;
        },
      };
    },
  };
}

export function builderConfig(o: Partial<BuilderConfig> & { name: string }): BuilderConfig {
  return {
    workerNames: [], workerTags: [], steps: [], collapseRequests: false, canStartBuild: null, nextWorker: null, nextBuild: null,
    locks: [], properties: {}, defaultProperties: {}, tags: [], description: null, builddir: o.name, workerbuilddir: o.name,
    env: {}, priority: 0, project: null, ...o,
  };
}

export function workerConfig(name: string, o: Partial<WorkerConfig> = {}): WorkerConfig {
  return { name, password: 'pw', maxBuilds: null, properties: {}, notifyOnMissing: [], keepalive: null, missingTimeout: 3600, ...o };
}

export function poolConfig(name: string, o: Partial<WorkerPoolConfig> = {}): WorkerPoolConfig {
  return { name, tokens: ['pool-token-0123456789abcdef'], tags: [], maxWorkers: 1000, maxBuilds: null, properties: {}, forgetAfter: null, ...o };
}

/** A fake worker that reports a platform and tags (PROTOCOL.md §3.5), as a mastro worker does. */
export function platformWorker(name: string, info: { os?: string; arch?: string; tags?: string[] }, script?: CommandScript): FakeWorker {
  const w = new FakeWorker(name, script);
  Object.assign(w.info, { arch: 'x64', ...info });
  return w;
}

export interface Engine {
  db: Db; data: DataConnector; mq: InProcessMessageQueue; botmaster: Botmaster; services: BuildServices; masterid: number;
  secrets: SecretManager; locks: LockRegistry;
  close(): Promise<void>;
}

export async function makeEngine(opts: { secrets?: Record<string, string>; dbUrl?: string } = {}): Promise<Engine> {
  const db = await openDatabase(opts.dbUrl ?? 'sqlite::memory:');
  const mq = new InProcessMessageQueue();
  const data = new DataConnector(db, mq, { logFlushDelayMs: 0 });
  const masterid = await data.updates.masterActive('test-master');
  const secrets = new SecretManager(opts.secrets ? [staticProvider(opts.secrets)] : []);
  const locks = new LockRegistry();
  const services: BuildServices = {
    data: { updates: data.updates, reads: data, mq }, masterid, masterDir: '/tmp', secrets, locks,
    log: { trace() {}, info() {}, warn() {}, error() {}, debug() {} }, globalProperties: {},
    findTriggerable: () => undefined, triggerableNames: () => [],
  };
  const botmaster = new Botmaster({ services });
  return {
    db, data, mq, botmaster, services, masterid, secrets, locks,
    async close() { await botmaster.shutdown({ graceMs: 0, reportTimeoutMs: 2000 }); await db.close(); },
  };
}

/** Submits a buildset for `builderNames` and returns its request ids by builder name. */
export async function submit(e: Engine, builderNames: string[], o: { priority?: number; revision?: string; branch?: string; patch?: boolean; submitted_at?: number; properties?: Record<string, [unknown, string]> } = {}): Promise<Record<string, number>> {
  const ids = await Promise.all(builderNames.map((n) => e.data.updates.findBuilderId(n)));
  const res = await e.data.updates.addBuildset({
    scheduler: 'test', reason: 'test', builderids: ids, priority: o.priority, submitted_at: o.submitted_at, properties: o.properties,
    sourcestamps: [{ codebase: '', repository: 'repo', branch: o.branch ?? 'main', revision: o.revision ?? 'r1', project: 'p', patch: o.patch ? { level: 1, body: 'diff' } : null }],
  });
  const out: Record<string, number> = {};
  builderNames.forEach((n, i) => { out[n] = res.brids[ids[i]]; });
  return out;
}

/** Resolves when `pred` becomes true (checked every few ms until the deadline). */
export async function waitFor(pred: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function buildsOf(e: Engine, builderName: string) {
  const r = await e.data.get(['builders', await e.data.updates.findBuilderId(builderName), 'builds']);
  return r.kind === 'collection' ? r.items : [];
}
