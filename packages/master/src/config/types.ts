/**
 * The two shapes of a master config:
 *  - `UserConfig`: what `master.config.ts` passes to `defineConfig` (or what YAML describes), partial
 *    and loosely typed where users write functions;
 *  - `MasterConfig`: the validated, normalised form the master runs on. Every default is filled in
 *    here (see `defaults.ts`) so no other module repeats one.
 */
import type { MqOptions } from '../mq/connector.js';
import type { SchedulerSpec } from '../schedulers/specs.js';
import type { ChangeSourceSpec } from '../changes/specs.js';
import type { PbServerOptions, WorkerServerOptions } from '../workers/options.js';
import type { WorkerConfig, WorkerPoolConfig, WorkerPoolSpec, WorkerSpec } from '../workers/worker-config.js';
import type { BuilderConfig, BuilderOptions, CollapseRequestsFn } from '../process/builder-config.js';
import type { WwwConfig, WwwOptions } from '../www/options.js';
import type { LogOptions } from '../options/logs.js';
import type { PbProtocolConfig } from './pb-protocol.js';
import type { ReporterSpec } from '../reporters/base.js';
import type { ReportDeliveryOptions } from '../reporters/delivery/options.js';
import type {
  LatentPoolConfig, LatentPoolOptions, LatentProviderSpec, LatentWorkerConfig, LatentWorkerOptions,
} from '../workers/latent/latent-config.js';

// Each family owns its option types; they are assembled here and re-exported for users.
export type { WorkerOptions, WorkerSpec, WorkerConfig, WorkerPoolOptions, WorkerPoolSpec, WorkerPoolConfig } from '../workers/worker-config.js';
export type {
  CollapseRequestsFn, CanStartBuildFn, NextWorkerFn, NextBuildFn, BuilderOptions, BuilderConfig,
} from '../process/builder-config.js';
export type {
  WwwOptions, WwwConfig, ChangeHookAuthEntry, OAuthProviderOptions, WwwAuthOptions, AuthzAction, AuthzRule, WwwAuthzOptions,
} from '../www/options.js';
export type {
  DockerProviderOptions, LocalProviderOptions, CommandProviderOptions, LatentProviderSpec, LatentCommonOptions, LatentWorkerOptions,
  LatentPoolOptions, LatentWorkerConfig, LatentPoolConfig,
} from '../workers/latent/latent-config.js';

// ---------------------------------------------------------------------------------------------
// Servers

/**
 * `protocols.msgpack`: the worker server's port, interface and limits a config may set, documented
 * with their defaults where the server reads them (src/workers/options.ts). Keep in step with
 * MSGPACK_KEYS in ./normalise.ts.
 */
export type MsgpackProtocolOptions = Pick<WorkerServerOptions,
  'port' | 'host' | 'path' | 'maxFrameSize' | 'keepaliveIntervalMs' | 'keepaliveTimeoutMs' | 'requestTimeoutMs' |
  'attachTimeoutMs' | 'maxUploadSize' | 'maxUploadEntries' | 'maxReadBlockSize' | 'maxPeerErrorsPerMinute' |
  'maxWarningsPerMinute' | 'maxBufferedBytes' | 'headersTimeoutMs' | 'maxConnectionsPerAddress'>;

/** The state database and how the master rides out its outages (a stopped server, a full disk). */
export interface DbOptions {
  /** 'sqlite:state.sqlite' (default, relative to the master directory), 'sqlite::memory:' or 'postgresql://user:pw@host/db'. */
  url?: string;
  /**
   * Bytes of log output the master holds in memory, over all running builds, while the database
   * cannot be written; it is stored once the database is back. When it is full, further lines are
   * dropped, a marker line in the log says how many, and the build ends RETRY so it runs again.
   * Default 64 MiB; 0 holds nothing.
   */
  outageBufferSize?: number;
  /**
   * Seconds a running build waits for an unavailable database (each write retried with backoff)
   * before it gives up; a result it could not record is settled when the master next starts.
   * Default 3600.
   */
  outageTimeout?: number;
}

// ---------------------------------------------------------------------------------------------
// The whole config

/** The log options (`logMaxSize`, `logChunkSize`, ...) are declared with their defaults in options/logs.ts. */
export interface UserConfig extends LogOptions {
  title?: string;
  titleURL?: string;
  /** Public URL of the web UI, used in links (default http://localhost:<www.port>/). */
  buildbotURL?: string;
  db?: DbOptions;
  /**
   * Worker protocols. `msgpack`: the WebSocket port. `pb`: Buildbot's PB protocol, which every
   * Buildbot worker created without `--protocol` speaks; on by default, on the WebSocket port (one
   * listener for both) unless given a port of its own; `null` or `false` turns it off.
   */
  protocols?: { msgpack?: MsgpackProtocolOptions; pb?: PbServerOptions | null | false };
  www?: WwwOptions | null;
  /** Named workers (`worker(...)`), worker pools (`workerPool(...)`), latent workers (`latent(...)`, `latent.docker({ name, ... })`) and latent pools (`latentPool(...)`). */
  workers?: Array<WorkerSpec | WorkerPoolSpec | LatentWorkerOptions | LatentPoolOptions | (LatentProviderSpec & Partial<LatentWorkerOptions>)>;
  changeSources?: ChangeSourceSpec[];
  schedulers?: SchedulerSpec[];
  builders?: BuilderOptions[];
  /** Secret providers (e.g. `secrets.directory('/etc/mastro/secrets')`), asked in order. */
  secrets?: unknown[];
  /** Global properties every build gets (source 'Global'). */
  properties?: Record<string, unknown>;
  /** Default for builders that do not set collapseRequests. Default true (Buildbot's). */
  collapseRequests?: boolean | CollapseRequestsFn;
  /** Finished builds kept in memory for quick access. Default 15 (Buildbot's). */
  buildCacheSize?: number;
  /** Keep only this many newest changes in the database; null keeps all. Default null. */
  changeHorizon?: number | null;
  /**
   * Deletes the content of old logs, like Buildbot's `JanitorConfigurator(logHorizon=...)`. Default
   * null: logs are kept forever (Buildbot without a janitor).
   */
  janitor?: JanitorOptions | null;
  /** Seconds a graceful stop waits for running builds before stopping them as RETRY. Default 300. */
  stopGracePeriod?: number;
  /** Several masters sharing one database: not supported yet, so `true` is refused (MASTRO_MULTI_MASTER_UNSUPPORTED). */
  multiMaster?: boolean;
  /** This master's name in the database. Default `<hostname>:<master dir>` like Buildbot. */
  masterName?: string;
  /**
   * The bus that carries the master's events (Buildbot's `c['mq']`). Default `{ type: 'simple' }`,
   * the in-process bus of one master and the only type there is yet; a change takes a restart.
   */
  mq?: MqOptions;
  /**
   * Where build results go (`reporters.httpStatusPush({...})`, `reporters.mailNotifier({...})`): each
   * reporter's generators say what and when. Reports are stored with the event that causes them and
   * delivered in the background (see reportDelivery). Default none.
   */
  reporters?: ReporterSpec[];
  /** How reports are delivered: concurrency, retries, retention (reporters/delivery/options.ts has the defaults). */
  reportDelivery?: ReportDeliveryOptions;
  /** GET /metrics, /healthz and /readyz (config/operations.ts has the defaults). */
  monitoring?: MonitoringOptions;
  /** The master's own log file, `mastro.log` under `mastro start`: size-based rotation as Buildbot's buildbot.tac. */
  log?: LogFileOptions;
}

/**
 * GET /metrics (Prometheus text format), /healthz (the process answers) and /readyz (the database
 * answers, the worker port listens, the config is loaded). /metrics is a `view` action: with
 * `www.authz.anonymousView: false` it needs a login (HTTP Basic or an API token), as the API does.
 * /healthz and /readyz are open (a probe carries no credentials) and say nothing secret.
 */
export interface MonitoringOptions {
  /** Serve /metrics. Default true. */
  metrics?: boolean;
  /**
   * A port of its own for /metrics, /healthz and /readyz, besides the web port (a scraper or a load
   * balancer's probe need not reach the UI). Default null: the web port only. 0 picks a free port.
   */
  port?: number | null;
  /** Interface of that port. Default: `www.host`, else all interfaces. */
  host?: string;
  /** Seconds /readyz waits for the database to answer a query before it reports it unreachable. Default 5. */
  readyTimeout?: number;
}

/**
 * Rotation of `mastro.log` (Buildbot's `rotateLength` and `maxRotatedFiles` from buildbot.tac): when
 * the file reaches `rotateLength` bytes it becomes `mastro.log.1` (the older ones move up one, and
 * the oldest beyond `maxRotatedFiles` is deleted). SIGUSR1 reopens the file, for an external logrotate.
 */
export interface LogFileOptions {
  /** Bytes after which the log is rotated; null = never (grows until logrotate moves it). Default 10000000 (Buildbot's). */
  rotateLength?: number | null;
  /** Rotated files kept; null = all. Default 10 (Buildbot's). */
  maxRotatedFiles?: number | null;
}

export interface JanitorOptions {
  /**
   * Seconds: the logs of steps that started longer ago lose their content (the log entries stay,
   * with type 'd', as Buildbot's janitor leaves them). Required; e.g. 90 * 86400 for 90 days.
   */
  logHorizon: number;
  /** Seconds between janitor runs; the first comes one minute after the master starts. Default 86400 (daily, like Buildbot's nightly janitor). */
  interval?: number;
  /** Logs emptied per database transaction: bounds how long one step of the janitor holds the database. Default 1000. */
  batchSize?: number;
}

export interface MasterConfig extends Readonly<Required<LogOptions>> {
  /** Absolute master directory; relative paths in the config are resolved against it. */
  readonly masterDir: string;
  /** The file the config came from (null when built in memory). */
  readonly configFile: string | null;
  readonly title: string;
  readonly titleURL: string;
  readonly buildbotURL: string;
  readonly db: Readonly<Required<DbOptions>>;
  readonly protocols: { readonly msgpack: Readonly<MsgpackProtocolOptions> & { readonly port: number }; readonly pb: PbProtocolConfig | null };
  /** null when the config disables the web server (`www: null`). */
  readonly www: WwwConfig | null;
  /** The named workers. */
  readonly workers: readonly WorkerConfig[];
  /** The worker pools (`workerPool(...)` items of the config's `workers`). */
  readonly workerPools: readonly WorkerPoolConfig[];
  /** The latent workers (`latent(...)` items) and latent pools (`latentPool(...)`). */
  readonly latentWorkers: readonly LatentWorkerConfig[];
  readonly latentPools: readonly LatentPoolConfig[];
  readonly changeSources: readonly ChangeSourceSpec[];
  readonly schedulers: readonly SchedulerSpec[];
  readonly builders: readonly BuilderConfig[];
  readonly secrets: readonly unknown[];
  readonly properties: Readonly<Record<string, unknown>>;
  readonly collapseRequests: boolean | CollapseRequestsFn;
  readonly buildCacheSize: number;
  readonly changeHorizon: number | null;
  /** null when no janitor runs (the default). */
  readonly janitor: Readonly<Required<JanitorOptions>> | null;
  readonly stopGracePeriod: number;
  readonly masterName: string;
  readonly mq: Required<MqOptions>;
  readonly reporters: readonly ReporterSpec[];
  readonly reportDelivery: Readonly<Required<ReportDeliveryOptions>>;
  readonly monitoring: { readonly metrics: boolean; readonly port: number | null; readonly host: string; readonly readyTimeout: number };
  readonly log: { readonly rotateLength: number | null; readonly maxRotatedFiles: number | null };
}
