/**
 * The composition root: a running master is its config, database, event bus, data layer, worker
 * server, HTTP server, schedulers, change sources and botmaster, started in dependency order and
 * stopped in reverse. Also: startup crash recovery, graceful stop (SIGTERM), reconfig (SIGHUP).
 */
import { rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { CloseCodes, closeReason } from 'mastro-protocol';
import { pino, type Logger } from 'pino';
import type { LatentProviderSpec, MasterConfig, WorkerConfig, WorkerPoolConfig } from './config/types.js';
import { tokenProblem } from './config/worker-pools.js';
import { tryLoadConfig } from './config/load.js';
import { ConfigError, formatIssueAt, type ConfigIssue } from './model/config-errors.js';
import { describeOutage, openDatabase, type Db } from './db/index.js';
import { DataConnector } from './data/index.js';
import type { MessageQueue } from './mq/bus.js';
import { createMessageQueue } from './mq/connector.js';
import { WorkerManager, type AnyWorker, type ManagedPool, type ManagedWorker } from './workers/index.js';
import { LatentManager, type LatentPoolSettings, type LatentWorkerSettings } from './workers/latent/manager.js';
import { LatentPasswords } from './workers/latent/password.js';
import { parseMasterAddress } from './workers/latent/environment.js';
import { poolOfWorkerName } from './process/worker-selection.js';
import { Botmaster } from './process/botmaster.js';
import type { BuildServices } from './process/build.js';
import type { EngineData } from './process/engine-data.js';
import { LockRegistry } from './process/locks.js';
import { recoverInterruptedWork } from './process/recovery.js';
import { renderValue } from './process/renderables.js';
import { SecretManager, type SecretProvider } from './process/secrets.js';
import { Properties } from './process/properties.js';
import type { Triggerable } from './process/step-types.js';
import type { ForceSchedulerLike, MasterControl } from './process/master-control.js';
import type { LockState } from './process/locks.js';
import { describeLocks } from './process/lock-view.js';
import { Results } from './model/results.js';
import { MissingWorkerWatch } from './process/missing-workers.js';
import { ServiceSet, type Service } from './master/services.js';
import { Janitor } from './master/janitor.js';
import { defaultMasterLogDestination } from './master/log-destination.js';
import { createSchedulerService, createChangeSourceService, startHttpServer, type HttpHandle } from './master/components.js';
import { killWorker, shutdownWorkerGracefully } from './master/worker-control.js';
import { ChangeSourceRegistry } from './changes/running.js';
import { ReporterService } from './reporters/service.js';
import { reporterControl } from './master/reporter-control.js';
import { ReportEvents } from './data/report-outbox.js';
import { MasterMetrics } from './master/metrics.js';
import { checkReadiness } from './master/readiness.js';
import { startMonitoringServer, type MonitoringServer } from './www/monitoring/server.js';
import type { MonitoringRoutes } from './www/monitoring/routes.js';
import { HTTP_CONNECTION_DEFAULTS } from './net/connection-limits.js';

export interface StartMasterOptions {
  /**
   * pino logger; default: JSON lines on stdout at `info` (env MASTRO_LOG_LEVEL overrides), through a
   * destination that survives a full disk (master/log-destination.ts; env MASTRO_LOG_BUFFER_SIZE).
   */
  logger?: Logger;
  /** Install SIGTERM/SIGINT (graceful stop, then exit) and SIGHUP (reconfig) handlers. Default false. */
  handleSignals?: boolean;
  /** Write `master.ready.json` into the master directory once listening. Default true. */
  readyFile?: boolean;
  /** Print one `MASTRO_READY {json}` line on stdout once listening (for the CLI and tests). Default false. */
  readyLine?: boolean;
}

export interface StopOptions {
  /** Milliseconds running builds may take to finish before they are stopped as RETRY. Default: the config's stopGracePeriod. */
  graceMs?: number;
}

export interface ReconfigResult { ok: boolean; issues: ConfigIssue[] }

export const READY_FILE = 'master.ready.json';

export class Master implements MasterControl {
  config!: MasterConfig;
  db!: Db;
  /** The bus the config's `mq` names (mq/connector.ts); everything codes against MessageQueue. */
  mq!: MessageQueue;
  data!: DataConnector;
  masterid!: number;
  botmaster!: Botmaster;
  workers!: WorkerManager;
  http: HttpHandle | null = null;
  readonly secrets = new SecretManager();
  readonly locks = new LockRegistry();
  readonly log: Logger;
  private services!: BuildServices;
  private schedulers = new ServiceSet('scheduler');
  private changeSources = new ServiceSet('change source');
  /** The change sources running now, as the `changesources` API resource lists them. */
  private readonly runningChangeSources = new ChangeSourceRegistry();
  private stopping: Promise<void> | null = null;
  private signalCleanup: Array<() => void> = [];
  private reconfiguring: Promise<ReconfigResult> | null = null;
  /** Per-worker missingTimeout: a worker gone that long is logged as missing and reported. */
  private missing!: MissingWorkerWatch;
  /** The configured reporters, the outbox their reports are queued in and the pool delivering them. */
  reporting: ReporterService | null = null;
  /** Deletes old log contents (config `janitor`); idle without it. */
  janitor: Janitor | null = null;
  /** Latent workers and latent pools: started when requests wait for them, stopped when idle. */
  latent!: LatentManager;
  private latentPasswords: LatentPasswords | null = null;
  /** The Prometheus metrics (GET /metrics); null with `monitoring.metrics: false`. */
  metrics: MasterMetrics | null = null;
  /** `monitoring.port`'s listener, when the config gives one. */
  monitoringServer: MonitoringServer | null = null;

  private constructor(readonly dir: string, private readonly opts: StartMasterOptions) {
    this.log = opts.logger ?? pino({ level: process.env.MASTRO_LOG_LEVEL ?? 'info' }, defaultMasterLogDestination());
  }

  /** Loads the config of `dir` and starts everything; throws ConfigError (with every issue) on a bad config. */
  static async start(dir: string, opts: StartMasterOptions = {}): Promise<Master> {
    const m = new Master(resolve(dir), opts);
    try {
      await m.startUp();
    } catch (err) {
      await m.abortStartUp();
      throw err;
    }
    return m;
  }

  /**
   * Closes whatever a failed start had opened. Change sources and schedulers started before the
   * failure (the HTTP server starts last) keep timers running: left alone they would keep the
   * process alive, polling a closed database, with no pid file and invisible to `mastro stop`.
   */
  private async abortStartUp(): Promise<void> {
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try { await fn(); } catch (err) { this.log.warn({ err }, `${what} failed while undoing a failed start`); }
    };
    await step('stopping the change sources', () => this.changeSources.apply([], this.log));
    await step('stopping the schedulers', () => this.schedulers.apply([], this.log));
    if (this.botmaster) await step('stopping the botmaster', () => this.botmaster.shutdown({ graceMs: 0, reportTimeoutMs: 10_000 }));
    if (this.latent) await step('stopping the latent workers', () => this.latent.shutdown());
    await step('stopping the reporters', async () => this.reporting?.stop());
    await step('closing', () => this.tearDown());
  }

  get workerPort(): number { return this.workers.port; }
  get httpPort(): number | null { return this.http?.port ?? null; }
  /** `monitoring.port` as bound (0 in the config: the port picked), or null without one. */
  get monitoringPort(): number | null { return this.monitoringServer?.port ?? null; }

  /** What /metrics, /healthz and /readyz answer with. */
  private monitoringRoutes(): MonitoringRoutes {
    const metrics = this.metrics;
    return {
      metrics: metrics ? () => metrics.render() : null,
      ready: () => checkReadiness({
        db: () => this.db, workersListening: () => this.workers?.listening ?? false,
        configFile: () => this.config?.configFile, stopping: () => this.stopping !== null,
        timeoutMs: () => this.config.monitoring.readyTimeout * 1000,
      }),
    };
  }

  private engineData(): EngineData {
    return { updates: this.data.updates, reads: this.data, mq: this.mq };
  }

  private async startUp(): Promise<void> {
    const loaded = await tryLoadConfig(this.dir);
    if (!loaded.config) throw new ConfigError(loaded.issues, loaded.file ?? undefined);
    const config = loaded.config;
    this.config = config;
    this.mq = createMessageQueue(config.mq);
    this.db = await openDatabase(config.db.url, {
      baseDir: config.masterDir,
      onConnectionError: (err) => this.log.warn({ err: err.message }, 'an idle database connection failed (server restarted?); a new one is opened when needed'),
    });
    this.watchDatabaseHealth();
    this.data = new DataConnector(this.db, this.mq, {
      logMaxSize: config.logMaxSize, logMaxTailSize: config.logMaxTailSize, logChunkSize: config.logChunkSize, logFlushDelayMs: config.logFlushDelayMs,
      logCompressMinSize: config.logCompressMinSize, logCompressLevel: config.logCompressLevel, logCompressConcurrency: config.logCompressConcurrency,
      outageBufferSize: config.db.outageBufferSize, outageTimeoutMs: config.db.outageTimeout * 1000,
    });
    this.data.setLockStateProvider(() => this.lockStates());
    this.data.setChangeSourceProvider(() => this.runningChangeSources.list());
    // Before anything can run a build: every build is counted.
    if (config.monitoring.metrics) {
      this.metrics = new MasterMetrics({
        db: this.db, data: this.data, mq: this.mq, log: this.log.child({ component: 'metrics' }),
        workerNames: () => this.workers?.workers.map((w) => w.name) ?? [],
        reporterQueues: () => this.reporting?.status() ?? null,
      });
    }
    this.masterid = await this.data.updates.masterActive(config.masterName);
    this.log.info({ masterid: this.masterid, name: config.masterName, db: this.db.engine }, 'master registered');

    // Reporters first: the builds recovery ends RETRY below are reported like any other.
    this.reporting = new ReporterService({
      db: this.db, data: this.data, masterid: this.masterid, logger: this.log.child({ component: 'reporters' }),
      getSecret: (name) => this.secrets.get(name), redact: (text) => this.secrets.redactor.redact(text),
      control: reporterControl(this),
    });
    await this.reporting.configure(reporterSettings(config));
    this.data.updates.setReportOutbox(this.reporting);
    this.data.setReporterStatusProvider(async () => (await this.reporting!.status()) as unknown as Record<string, unknown>[]);

    // Work left in progress by an earlier run of this master (killed, crashed) runs again.
    await recoverInterruptedWork(this.engineData(), this.masterid, this.log, this.data);

    this.secrets.setProviders(config.secrets as SecretProvider[]);
    this.services = {
      data: this.engineData(), masterid: this.masterid, masterDir: config.masterDir, secrets: this.secrets,
      locks: this.locks, log: this.log, globalProperties: config.properties,
      health: this.db.health, outageTimeoutMs: config.db.outageTimeout * 1000,
      findTriggerable: (name) => this.findTriggerable(name),
      triggerableNames: () => this.schedulers.all().filter((s) => isTriggerable(s.instance)).map((s) => s.name),
    };
    this.latent = new LatentManager({
      masterName: config.masterName, masterDir: config.masterDir, log: this.log.child({ component: 'latent' }),
      masterAddress: (spec) => this.latentMasterAddress(spec as LatentProviderSpec),
      passwordFor: (name) => this.latentPasswords!.passwordFor(name),
      slot: (name) => this.botmaster?.slotOf(name),
      disconnect: (remote, reason) => (remote as AnyWorker).disconnect(CloseCodes.POLICY_VIOLATION, closeReason(reason)),
      wake: () => this.botmaster?.distributor.wake(),
      changed: (name) => { this.data.updates.latentWorkerChanged(name).catch((err) => this.log.warn({ err, worker: name }, 'publishing a latent worker\'s state failed')); },
    });
    this.latent.configure(...(await this.latentSettings(config)));
    this.data.setLatentStateProvider((name) => this.latent.view(name));
    this.botmaster = new Botmaster({ services: this.services, collapseContext: this, latent: this.latent });
    await this.botmaster.configure(config.builders, this.namedWorkers(config), config.workerPools);

    const mp = config.protocols.msgpack;
    this.workers = new WorkerManager({
      ...mp, port: mp.port, host: mp.host, pb: config.protocols.pb, logger: this.log.child({ component: 'workers' }),
      workers: [...(await this.workerCredentials(config.workers)), ...this.latent.credentials()],
      pools: await this.poolCredentials(config.workerPools),
    });
    // Builders chosen by tags are decided from what the worker reports, once it has.
    this.workers.setBuilderProvider((w) => this.botmaster.taggedBuildersFor(w));
    this.workers.on('attached', (w) => {
      const attach = () => { this.missing.attached(w.name); void this.botmaster.workerAttached(w); };
      // A latent worker is first matched with the start that waits for it (a stray one is disconnected).
      if (this.latent.isLatent(w.name)) void this.latent.attached(w).then((ok) => { if (ok) attach(); });
      else attach();
    });
    this.workers.on('detached', (w) => { this.latent.detached(w); this.missing.detached(w.name); void this.botmaster.workerDetached(w); });
    // A PB worker's own graceful shutdown (SIGHUP, or its shutdown file): as the API's, no new builds, then shutdown.
    this.workers.on('shutdownRequested', (name) => { void this.shutdownWorkerGracefully(name); });
    this.missing = new MissingWorkerWatch(this.log.child({ component: 'workers' }), (name, missingTimeout, lastSeenMs) => this.workerMissing(name, missingTimeout, lastSeenMs));
    this.warnUnsupportedWorkerOptions(config.workers);
    this.missing.configure(config.workers);
    await this.applyBuilderLists(this.namedWorkers(config));
    // Instances an earlier run left (killed) are adopted or stopped before their workers can attach.
    await this.latent.reconcile();
    const { port: workerPort } = await this.workers.listen();
    this.log.info({ port: workerPort }, 'worker server listening');
    void this.latent.checkHealth();

    await this.reporting.start();
    await this.botmaster.start();
    this.janitor = new Janitor(this.db, this.log.child({ component: 'janitor' }), config.janitor);
    this.janitor.start();
    await this.schedulers.apply(config.schedulers.map((spec) => createSchedulerService(spec, this.schedulerServices())), this.log);
    await this.changeSources.apply(config.changeSources.map((spec) => createChangeSourceService(spec, this.changeSourceServices(), config.masterDir)), this.log);

    if (config.www) {
      this.http = await startHttpServer({ control: this, data: this.data, mq: this.mq, config, log: this.log.child({ component: 'www' }), monitoring: this.monitoringRoutes() });
      this.log.info({ port: this.http.port }, 'http server listening');
    }
    if (config.monitoring.port !== null) {
      this.monitoringServer = await startMonitoringServer({
        port: config.monitoring.port, host: config.monitoring.host, routes: this.monitoringRoutes(),
        security: this.http?.security ?? null, logger: this.log.child({ component: 'monitoring' }),
        connections: config.www ?? HTTP_CONNECTION_DEFAULTS,
      });
      this.log.info({ port: this.monitoringServer.port }, 'monitoring server listening (/metrics, /healthz, /readyz)');
    }
    if (this.opts.handleSignals) this.installSignalHandlers();
    await this.announceReady();
  }

  /** One warning when writes begin to fail (and what kind of outage it is), one line when they work again. */
  private watchDatabaseHealth(): void {
    let since = 0;
    this.db.health.subscribe((o) => {
      if (o) {
        since ||= Date.now();
        this.log.warn({ reason: o.reason, kind: o.kind }, `${describeOutage(o)}; running builds keep their output in memory (db.outageBufferSize) and wait (db.outageTimeout)`);
      } else {
        this.log.info({ outageMs: Date.now() - since }, 'the database can be written again');
        since = 0;
      }
    });
  }

  private schedulerServices() {
    return { mq: this.mq, updates: this.data.updates, reads: this.data, masterid: this.masterid, logger: this.log.child({ component: 'schedulers' }), pb: this.workers.pbHost() };
  }

  private changeSourceServices() {
    return {
      ...this.schedulerServices(), logger: this.log.child({ component: 'changes' }), getSecret: (name: string) => this.secrets.get(name),
      registry: this.runningChangeSources,
    };
  }

  private findTriggerable(name: string): Triggerable | undefined {
    const s = this.schedulers.get(name)?.instance;
    return isTriggerable(s) ? s : undefined;
  }

  /**
   * The workers allowed to connect, with their own keepalive (config seconds -> ms). Passwords may
   * be renderables (e.g. util.Secret('w0')): rendered with the secret providers only.
   */
  private async workerCredentials(workers: readonly WorkerConfig[]): Promise<ManagedWorker[]> {
    const ctx = { properties: new Properties(), sourcestamps: [], workerInfo: {}, getSecret: (n: string) => this.secrets.get(n) };
    const out: ManagedWorker[] = [];
    for (const w of workers) {
      const password = await renderValue(w.password, ctx);
      if (typeof password !== 'string' || !password) throw new Error(`worker '${w.name}': its password rendered to ${JSON.stringify(password)}; give a non-empty string or a secret that exists`);
      out.push({ name: w.name, password, keepaliveIntervalMs: w.keepalive ? w.keepalive * 1000 : null });
    }
    return out;
  }

  /** Named workers and latent workers (each latent pool's instances too): the botmaster's and the builder lists' workers. */
  private namedWorkers(config: MasterConfig): WorkerConfig[] {
    const latent = this.latent.workerConfigs().map((w): WorkerConfig => ({ ...w, password: null, notifyOnMissing: [], keepalive: null, missingTimeout: 0 }));
    return [...config.workers, ...latent];
  }

  /**
   * The latent workers with their passwords rendered; one not given one gets a password derived
   * from the master's latent.key (made the first time a latent worker or pool is configured).
   */
  private async latentSettings(config: MasterConfig): Promise<[LatentWorkerSettings[], LatentPoolSettings[]]> {
    if ((config.latentWorkers.length || config.latentPools.length) && !this.latentPasswords) this.latentPasswords = await LatentPasswords.open(config.masterDir);
    const ctx = { properties: new Properties(), sourcestamps: [], workerInfo: {}, getSecret: (n: string) => this.secrets.get(n) };
    const workers: LatentWorkerSettings[] = [];
    for (const w of config.latentWorkers) {
      const password = w.password === null ? this.latentPasswords!.passwordFor(w.name) : await renderValue(w.password, ctx);
      if (typeof password !== 'string' || !password) throw new Error(`latent worker '${w.name}': its password rendered to ${JSON.stringify(password)}; give a non-empty string or a secret that exists, or leave it out`);
      workers.push({ ...w, password });
    }
    return [workers, [...config.latentPools]];
  }

  /** BUILDMASTER and BUILDMASTER_PORT for a provider's instances: its masterAddress, else this master's worker address. */
  private latentMasterAddress(spec: LatentProviderSpec): { host: string; port: number } {
    const port = this.workers.port;
    if (spec.masterAddress) return parseMasterAddress(spec.masterAddress, port);
    const listen = this.config.protocols.msgpack.host;
    const specific = listen && !['0.0.0.0', '::', '*'].includes(listen) ? listen : null;
    return { host: specific ?? (spec.kind === 'local' ? '127.0.0.1' : hostname()), port };
  }

  /** The pools with their tokens rendered (secrets looked up), each checked as a literal token is. */
  private async poolCredentials(pools: readonly WorkerPoolConfig[]): Promise<ManagedPool[]> {
    const ctx = { properties: new Properties(), sourcestamps: [], workerInfo: {}, getSecret: (n: string) => this.secrets.get(n) };
    const out: ManagedPool[] = [];
    for (const p of pools) {
      const tokens: string[] = [];
      for (const [i, t] of p.tokens.entries()) {
        const token = await renderValue(t, ctx);
        const where = p.tokens.length > 1 ? `token[${i}]` : 'token';
        if (typeof token !== 'string' || !token) throw new Error(`worker pool '${p.name}': its ${where} rendered to ${JSON.stringify(token)}; give a string or a secret that exists`);
        const problem = tokenProblem(token);
        if (problem) throw new Error(`worker pool '${p.name}': its ${where} (a secret) ${problem}`);
        tokens.push(token);
      }
      out.push({ name: p.name, tokens, maxWorkers: p.maxWorkers });
    }
    return out;
  }

  /**
   * One warning per worker whose notifyOnMissing no reporter sends: it needs a reporter with a
   * workerMissing generator (mailNotifier has one by default).
   */
  private warnUnsupportedWorkerOptions(workers: readonly WorkerConfig[]): void {
    const sent = this.reporting?.reporters().some((r) => r.generators.some((g) => g.wantedEvents.includes(ReportEvents.workerMissing))) ?? false;
    if (sent) return;
    for (const w of workers) {
      if (w.notifyOnMissing.length) {
        this.log.warn({ worker: w.name, path: 'notifyOnMissing' },
          `worker '${w.name}': notifyOnMissing has no reporter to send it; add reporters.mailNotifier({ fromaddr, ... }) (its default generators include workerMissing) or a reporter with generators.workerMissing(); until then a missing worker is only logged after its missingTimeout (${w.missingTimeout} s)`);
      }
    }
  }

  /** A worker gone for its missingTimeout: stored as an event its reporters turn into reports (mail to notifyOnMissing). */
  private workerMissing(name: string, missingTimeout: number, lastSeenMs: number | null): void {
    const w = this.config.workers.find((x) => x.name === name);
    if (!w) return;
    this.data.updates.workerMissing({ name, notify: w.notifyOnMissing, missingTimeout, lastConnection: lastSeenMs === null ? null : Math.floor(lastSeenMs / 1000) })
      .catch((err) => this.log.error({ err, worker: name }, `worker '${name}' is missing but its report could not be stored; it is not sent`));
  }

  private async applyBuilderLists(workers: readonly Pick<WorkerConfig, 'name'>[]): Promise<void> {
    await Promise.all(workers.map((w) => this.workers.setBuilderList(w.name, this.botmaster.builderListFor(w.name)).catch((err) => {
      this.log.warn({ err, worker: w.name }, 'updating the builder directories of a worker failed');
    })));
    // Pool workers have no builder list of their own: all of theirs come from their tags.
    await this.workers.refreshBuilderLists((w) => poolOfWorkerName(w.name) !== null);
  }

  private async announceReady(): Promise<void> {
    const info = { pid: process.pid, masterid: this.masterid, workerPort: this.workerPort, httpPort: this.httpPort, monitoringPort: this.monitoringPort, dir: this.dir };
    if (this.opts.readyFile !== false) await writeFile(join(this.dir, READY_FILE), JSON.stringify(info) + '\n');
    if (this.opts.readyLine) process.stdout.write(`MASTRO_READY ${JSON.stringify(info)}\n`);
    this.log.info(info, 'master ready');
  }

  /**
   * Applies the config file again. A broken config is refused (issues logged with their paths)
   * and the running one stays. Running builds finish on the config they started with.
   */
  reconfig(): Promise<ReconfigResult> {
    if (this.reconfiguring) return this.reconfiguring;
    this.reconfiguring = this.doReconfig().finally(() => { this.reconfiguring = null; });
    return this.reconfiguring;
  }

  private async doReconfig(): Promise<ReconfigResult> {
    if (this.stopping) return { ok: false, issues: [{ path: '', message: 'the master is stopping' }] };
    const loaded = await tryLoadConfig(this.dir);
    if (!loaded.config) {
      for (const issue of loaded.issues) this.log.error({ path: issue.path, file: loaded.file }, `reconfig refused: ${formatIssueAt(issue)}`);
      this.log.error({ issues: loaded.issues.length }, 'reconfig refused; the running configuration stays');
      return { ok: false, issues: loaded.issues };
    }
    const next = loaded.config;
    const prev = this.config;
    for (const [what, a, b] of [
      ['db.url', prev.db.url, next.db.url],
      ['db.outageBufferSize', prev.db.outageBufferSize, next.db.outageBufferSize],
      ['protocols.msgpack.port', prev.protocols.msgpack.port, next.protocols.msgpack.port],
      ['mq.type', prev.mq.type, next.mq.type],
      ['protocols.pb', JSON.stringify(prev.protocols.pb), JSON.stringify(next.protocols.pb)],
      ['monitoring', JSON.stringify(prev.monitoring), JSON.stringify(next.monitoring)],
    ] as const) {
      if (a !== b) this.log.warn({ path: what }, `${what} changed; it takes effect when the master restarts`);
    }
    if (!this.http && next.www) this.log.warn({ path: 'www' }, 'www was added to the config; the HTTP server starts when the master restarts');
    let credentials;
    let poolCredentials;
    let latentSettings;
    try {
      credentials = await this.workerCredentials(next.workers);
      poolCredentials = await this.poolCredentials(next.workerPools);
      latentSettings = await this.latentSettings(next);
    } catch (err) {
      const issue = { path: 'workers', message: (err as Error).message };
      this.log.error(issue, 'reconfig refused; the running configuration stays');
      return { ok: false, issues: [issue] };
    }
    // The HTTP server takes its new auth, authz and change hooks first (and warns about www settings
    // only a restart changes): if they cannot be built, nothing of this reconfig is applied.
    try {
      this.http?.reconfigure(next);
    } catch (err) {
      const issue = { path: 'www', message: (err as Error).message };
      this.log.error(issue, 'reconfig refused; the running configuration stays');
      return { ok: false, issues: [issue] };
    }
    this.config = next;
    this.secrets.setProviders(next.secrets as SecretProvider[]);
    this.services.globalProperties = next.properties;
    this.services.outageTimeoutMs = next.db.outageTimeout * 1000;
    this.latent.configure(...latentSettings);
    await this.botmaster.configure(next.builders, this.namedWorkers(next), next.workerPools);
    this.workers.setWorkers([...credentials, ...this.latent.credentials()]);
    // Reporters keep their queued reports across the change (reporters/service.ts).
    await this.reporting!.configure(reporterSettings(next));
    this.workers.setPools(poolCredentials);
    this.warnUnsupportedWorkerOptions(next.workers);
    this.missing.configure(next.workers);
    this.janitor?.configure(next.janitor);
    await this.applyBuilderLists(this.namedWorkers(next));
    await this.schedulers.apply(next.schedulers.map((spec) => createSchedulerService(spec, this.schedulerServices())), this.log);
    await this.changeSources.apply(next.changeSources.map((spec) => createChangeSourceService(spec, this.changeSourceServices(), next.masterDir)), this.log);
    this.log.info({ builders: next.builders.length, workers: next.workers.length, workerPools: next.workerPools.length, latentWorkers: next.latentWorkers.length, latentPools: next.latentPools.length, schedulers: next.schedulers.length }, 'reconfig applied');
    return { ok: true, issues: loaded.issues };
  }

  async stopBuild(buildid: number, reason = 'stopped by a user'): Promise<boolean> {
    return this.botmaster.stopBuild(buildid, reason, Results.CANCELLED);
  }

  async rebuild(buildid: number, reason?: string): Promise<{ bsid: number; brids: Record<number, number> }> {
    const build = await this.data.getBuild(buildid);
    if (!build) throw new Error(`build ${buildid} does not exist`);
    const req = await this.data.getBuildRequest(build.buildrequestid);
    const bs = req ? await this.data.getBuildset(req.buildsetid) : undefined;
    if (!bs) throw new Error(`the buildset of build ${buildid} no longer exists`);
    return this.data.updates.addBuildset({
      scheduler: 'rebuild', reason: reason ?? `rebuild of build ${buildid}`, sourcestamps: bs.sourcestampids,
      properties: bs.properties, builderids: [build.builderid],
    });
  }

  describeLocks(): LockState[] { return this.lockStates(); }

  private lockStates(): LockState[] {
    return describeLocks(this.locks, this.botmaster?.distributor.lockWaits() ?? [], this.config.builders);
  }

  // ---- MasterControl: what the API's control actions call ----
  forceSchedulers(): ForceSchedulerLike[] { return this.schedulerInstances().filter(isForceScheduler); }
  setWorkerPaused(workerName: string, paused: boolean): void { this.botmaster.setWorkerPaused(workerName, paused); }
  async shutdownWorkerGracefully(workerName: string): Promise<boolean> { return shutdownWorkerGracefully(this, workerName); }
  killWorker(workerName: string, reason: string): boolean { return killWorker(this, workerName, reason); }
  async stopMaster(): Promise<void> {
    // Answer the request first; the stop then closes the HTTP server too.
    setImmediate(() => this.requestStop());
  }

  /**
   * A stop asked for over the API: like SIGTERM (graceful stop, then the process exits) when this
   * master owns the process (`handleSignals`), otherwise a graceful `stop()`.
   */
  requestStop(): void {
    if (this.opts.handleSignals) { process.kill(process.pid, 'SIGTERM'); return; }
    this.stop().catch((err) => this.log.error({ err }, 'stop requested over the API failed'));
  }

  /** The running schedulers' instances (the API finds force schedulers among them). */
  schedulerInstances(): unknown[] { return this.schedulers.all().map((s) => s.instance); }

  /**
   * Graceful stop: no new builds or buildsets; running builds get the grace period to finish and
   * are then stopped as RETRY (they run again after a restart); then everything closes.
   */
  stop(opts: StopOptions = {}): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      const graceMs = opts.graceMs ?? this.config.stopGracePeriod * 1000;
      this.log.info({ graceMs }, 'master stopping');
      await this.schedulers.apply([], this.log);
      await this.changeSources.apply([], this.log);
      await this.botmaster.shutdown({ graceMs });
      // After the builds: latent instances are stopped (nothing is left running for a stopped master).
      await this.latent.shutdown();
      // After the builds: their final reports are queued; what is not delivered now is after the restart.
      await this.reporting?.stop();
      await this.tearDown();
      this.log.info('master stopped');
    })();
    return this.stopping;
  }

  private async tearDown(): Promise<void> {
    for (const c of this.signalCleanup.splice(0)) c();
    const step = async (what: string, fn: () => Promise<unknown> | undefined) => {
      try { await fn(); } catch (err) { this.log.warn({ err }, `${what} failed during shutdown`); }
    };
    await step('closing the http server', () => this.http?.close());
    await step('closing the monitoring server', () => this.monitoringServer?.close());
    this.metrics?.close();
    this.missing?.close();
    await step('stopping the janitor', () => this.janitor?.stop());
    await step('closing worker connections', () => this.workers?.close());
    await step('marking the master stopped', () => (this.masterid !== undefined ? this.data?.updates.masterStopped(this.masterid) : undefined));
    const unstored = this.data?.unstoredLogBytes ?? 0;
    if (unstored > 0) this.log.error({ bytes: unstored }, `${unstored} bytes of log output could not be stored before the master stopped: the database was unavailable`);
    await step('closing the database', () => this.db?.close());
    await step('removing the ready file', () => rm(join(this.dir, READY_FILE), { force: true }));
  }

  private installSignalHandlers(): void {
    const onTerm = (signal: string) => {
      this.log.info({ signal }, 'received a stop signal; stopping gracefully');
      this.stop().then(() => process.exit(0), (err) => { this.log.error({ err }, 'stop failed'); process.exit(1); });
    };
    const onHup = () => { this.log.info('received SIGHUP; reconfiguring'); void this.reconfig(); };
    const term = () => onTerm('SIGTERM');
    const int = () => onTerm('SIGINT');
    process.on('SIGTERM', term);
    process.on('SIGINT', int);
    process.on('SIGHUP', onHup);
    this.signalCleanup.push(() => { process.off('SIGTERM', term); process.off('SIGINT', int); process.off('SIGHUP', onHup); });
  }
}

function isForceScheduler(x: unknown): x is ForceSchedulerLike {
  const s = x as ForceSchedulerLike;
  return !!x && typeof s.plan === 'function' && typeof s.submit === 'function' && typeof s.toApi === 'function';
}

function reporterSettings(c: MasterConfig) {
  return { reporters: c.reporters, delivery: c.reportDelivery, title: c.title, buildbotURL: c.buildbotURL };
}

function isTriggerable(x: unknown): x is Triggerable {
  return !!x && typeof (x as Triggerable).trigger === 'function';
}

/** Starts a master from a directory (the CLI's `start` calls this). */
export function startMaster(dir: string, opts: StartMasterOptions = {}): Promise<Master> {
  return Master.start(dir, opts);
}

export type { Service };
