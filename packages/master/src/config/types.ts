/**
 * The two shapes of a master config:
 *  - `UserConfig`: what `master.config.ts` passes to `defineConfig` (or what YAML describes), partial
 *    and loosely typed where users write functions;
 *  - `MasterConfig`: the validated, normalised form the master runs on. Every default is filled in
 *    here (see `defaults.ts`) so no other module repeats one.
 */
import type { StepFactory } from '../process/step-types.js';
import type { LockAccess } from '../process/lock-types.js';
import type { SchedulerSpec } from '../schedulers/specs.js';
import type { ChangeSourceSpec } from '../changes/specs.js';
import type { PbServerOptions, WorkerServerOptions } from '../workers/options.js';
import type { PbProtocolConfig } from './pb-protocol.js';
import type { ReporterSpec } from '../reporters/base.js';
import type { ReportDeliveryOptions } from '../reporters/delivery/options.js';

// ---------------------------------------------------------------------------------------------
// Workers

export interface WorkerOptions {
  /** Builds this worker runs at once (across all its builders). Default: no limit (null). */
  maxBuilds?: number | null;
  /** Properties every build on this worker gets (source 'Worker'). */
  properties?: Record<string, unknown>;
  /**
   * E-mail addresses told when the worker has been missing for its missingTimeout: a reporter with
   * a workerMissing generator (reporters.mailNotifier's default) mails them.
   */
  notifyOnMissing?: string | string[];
  /** Seconds between keepalives for this worker; null = the protocol default. */
  keepalive?: number | null;
  /** Seconds a worker may be gone before it counts as missing. Default 3600 (Buildbot's). */
  missingTimeout?: number;
}

/** What `worker(name, password, options)` returns; a plain object of this shape works too (YAML). */
export interface WorkerSpec extends WorkerOptions {
  name: string;
  password: unknown;
}

/**
 * `workerPool({ name, token, ... })`: any worker that presents one of the pool's tokens may attach,
 * without being named here (PROTOCOL.md §1.1); the master calls it `POOL/NAME`. Builders select
 * pool workers by tags (`builder({ workerTags })`). A plain object of this shape, with `token`
 * instead of `password`, works too.
 */
export interface WorkerPoolOptions {
  /** 1 to 63 letters, digits, '.', '_', '-' (workers join it with `--pool NAME`). */
  name: string;
  /**
   * The pool's token: a string of at least 16 characters or a secret (`util.secret('pool-linux')`),
   * or a list of two while rotating (both are accepted; remove the old one at the next reconfig and
   * the workers still using it are disconnected).
   */
  token: unknown;
  /** Tags every worker of the pool gets (after its own: a worker's own tag of the same key wins). */
  tags?: string[];
  /** Most workers attached at once; the next one is answered 503 and retries. Default 1000. */
  maxWorkers?: number;
  /** Builds each worker of the pool runs at once. Default: no limit (null), as for named workers. */
  maxBuilds?: number | null;
  /** Properties every build on a worker of the pool gets (source 'Worker'). */
  properties?: Record<string, unknown>;
  /**
   * Seconds a pool worker may stay disconnected before it is dropped from the workers list (the API
   * stops listing it; its builds keep their worker id). Default 86400 (a day); 0 = as soon as it
   * leaves; null = never.
   */
  forgetAfter?: number | null;
}

export type WorkerPoolSpec = WorkerPoolOptions;

export interface WorkerPoolConfig {
  readonly name: string;
  /** One or two tokens: literal strings or renderables such as `util.secret(...)`, rendered at start and reconfig. */
  readonly tokens: readonly unknown[];
  readonly tags: readonly string[];
  readonly maxWorkers: number;
  readonly maxBuilds: number | null;
  readonly properties: Readonly<Record<string, unknown>>;
  /** Seconds; null = never. */
  readonly forgetAfter: number | null;
}

export interface WorkerConfig {
  readonly name: string;
  /** A literal password, or a renderable such as `util.secret('w0-password')`. */
  readonly password: unknown;
  readonly maxBuilds: number | null;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly notifyOnMissing: readonly string[];
  readonly keepalive: number | null;
  readonly missingTimeout: number;
}

// ---------------------------------------------------------------------------------------------
// Builders. The hook signatures belong to the engine (process/); they are typed loosely here so a
// config does not have to import engine types to write `canStartBuild: (b, w, req) => ...`.

/* eslint-disable @typescript-eslint/no-explicit-any */
export type CollapseRequestsFn = (master: any, builder: any, req1: any, req2: any) => boolean | Promise<boolean>;
export type CanStartBuildFn = (builder: any, worker: any, request: any) => boolean | Promise<boolean>;
export type NextWorkerFn = (builder: any, workers: any[], request: any) => any | Promise<any>;
export type NextBuildFn = (builder: any, requests: any[]) => any | Promise<any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export interface BuilderOptions {
  name: string;
  /** The workers (named in `workers`) that may run it; may be left out when `workerTags` selects them. */
  workerNames?: string[];
  /**
   * Tags a worker must all have to run it (`['os=linux', 'docker']`): its `os=`/`arch=`, its own
   * tags and its pool's. With `workerNames` a worker must be listed and have the tags.
   */
  workerTags?: string[];
  steps: StepFactory[];
  /** true: Buildbot's default rule (same sourcestamps, no patches); false: never; or a function. Default: the master's `collapseRequests`. */
  collapseRequests?: boolean | CollapseRequestsFn;
  canStartBuild?: CanStartBuildFn;
  nextWorker?: NextWorkerFn;
  nextBuild?: NextBuildFn;
  /** Locks held for the whole build. */
  locks?: LockAccess[];
  /** Properties every build of this builder gets (source 'Builder'). */
  properties?: Record<string, unknown>;
  /** Properties set only when no scheduler/change provided them. */
  defaultProperties?: Record<string, unknown>;
  tags?: string[];
  description?: string | null;
  /** Directory on the master for this builder's files. Default: a safe form of the name. */
  builddir?: string;
  /** Directory on the worker (relative to its basedir). Default: a safe form of the name. */
  workerbuilddir?: string;
  /** Environment added to every command of every build. */
  env?: Record<string, string>;
  /** Higher first when several builders compete for a worker. Default 0. */
  priority?: number;
  project?: string | null;
}

export interface BuilderConfig {
  readonly name: string;
  readonly workerNames: readonly string[];
  /** Empty: the builder selects by `workerNames` only. */
  readonly workerTags: readonly string[];
  readonly steps: readonly StepFactory[];
  /** Already resolved against the master's default. */
  readonly collapseRequests: boolean | CollapseRequestsFn;
  readonly canStartBuild: CanStartBuildFn | null;
  readonly nextWorker: NextWorkerFn | null;
  readonly nextBuild: NextBuildFn | null;
  readonly locks: readonly LockAccess[];
  readonly properties: Readonly<Record<string, unknown>>;
  readonly defaultProperties: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
  readonly description: string | null;
  readonly builddir: string;
  readonly workerbuilddir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly project: string | null;
}

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

export interface WwwOptions {
  /** HTTP port for the API, UI and change hooks. Default 8010; 0 picks a free port. */
  port?: number;
  /** Default: all interfaces. */
  host?: string;
  /** Largest accepted request body in bytes. Default 1 MiB. */
  bodyLimit?: number;
  /** Time a new connection has to send its request headers (a kept-alive one: from the first byte of its next request); Node answers 408. Default 30 s; 0 = none. */
  headersTimeoutMs?: number;
  /** Time a connection has to send a whole request, body included; Node answers 408. Default 120 s; 0 = none. */
  requestTimeoutMs?: number;
  /** A connection with no traffic for this long is closed, also between keep-alive requests. Default 72 s; 0 = never. */
  idleTimeoutMs?: number;
  /**
   * Connections one remote address may hold at once (browsers, API clients, /ws); more are answered
   * 503 and closed. Default 256; 0 = no limit. Behind a reverse proxy every connection comes from the
   * proxy's address: raise it there (or limit per client in the proxy).
   */
  maxConnectionsPerAddress?: number;
  /**
   * Enabled change-hook dialects and their options, e.g. `{ base: {}, github: { secret: '...' } }`. The forge
   * dialects also take `replay: { ttlSeconds, maxEntries }` (www/hooks/replay-guard.ts: default 3 days, 100000).
   */
  changeHooks?: Record<string, Record<string, unknown>>;
  /** Who may log in and how (local users, API tokens, OAuth2). Read by src/www/auth/options.ts. */
  auth?: WwwAuthOptions;
  /** Which roles may do what. Read by src/www/authz/rules.ts. */
  authz?: WwwAuthzOptions;
  /**
   * HTTP Basic authentication of every change hook (Buildbot's `change_hook_auth`): a request
   * passes when its credentials match one of the entries. Default none: hooks are open, as in
   * Buildbot, and the master warns when it listens beyond loopback. `false` = open on purpose (no
   * warning). Dialect secrets (github `secret`, gitlab/gerrit `token`) are checked as well.
   * A reconfig applies changes at once (www/reconfigure.ts lists what needs a restart).
   */
  changeHookAuth?: ChangeHookAuthEntry[] | false | null;
}

/**
 * One source of change hook credentials:
 *  - `{ username, password }`: a literal account;
 *  - `'file:changehook.passwd'` or `{ file }`: Buildbot's password file of `user:password` lines
 *    (relative to the master directory; re-read when it changes);
 *  - `{ usersStore: true }` / `{ usersStore: { roles: ['change-hook'] } }`: users added with
 *    `mastro user add` (optionally only those with one of the roles).
 */
export type ChangeHookAuthEntry =
  | { username: string; password: string }
  | string
  | { file: string }
  | { usersStore: true | { roles?: string[] } };

/** One OAuth2 provider (GitHub or GitLab). Endpoint URLs default to the public service. */
export interface OAuthProviderOptions {
  clientId: string;
  clientSecret: unknown;
  /** GitHub: https://github.com; GitLab: https://gitlab.com (self-hosted: its URL). */
  baseUrl?: string;
  /** GitHub's API root (default https://api.github.com; GitHub Enterprise: <baseUrl>/api/v3). */
  apiUrl?: string;
  /** Roles given to members of an organisation (GitHub) or group (GitLab), by its login/path. */
  groupRoles?: Record<string, string[]>;
  /** Roles every user logged in through this provider gets. Default none. */
  defaultRoles?: string[];
  /**
   * Most pages of a user's organisations (GitHub, 30 a page) or groups (GitLab, 100 a page) read at
   * login; a user with more is refused with a message naming this option. Default 10.
   */
  maxGroupPages?: number;
}

export interface WwwAuthOptions {
  /** Roles by user name, added to those of the users store (`mastro user add`); OAuth users are named `github:<login>` / `gitlab:<username>` here. */
  users?: Array<{ username: string; roles: string[] }>;
  /** Accept HTTP Basic credentials (command-line clients). Default true. */
  basic?: boolean;
  /** Browser session lifetime in seconds. Default 8 hours. */
  sessionTtlSec?: number;
  /** Sessions kept at once; the oldest are dropped beyond this. Default 10,000. */
  maxSessions?: number;
  /** Seconds between sweeps deleting expired browser sessions from the database (read ones are deleted at once). Default 600. */
  sessionSweepSec?: number;
  /**
   * Failed logins allowed in a burst per address (then 429, before any check) and per user name (then
   * wrong passwords for it get 429; its right password still passes). Default 5.
   */
  loginBurst?: number;
  /** Extra failed logins allowed per second after the burst. Default 0.1. */
  loginRefillPerSecond?: number;
  /** Public URL of this server for OAuth redirects; default the config's buildbotURL or the request's Host. */
  publicUrl?: string;
  github?: OAuthProviderOptions;
  gitlab?: OAuthProviderOptions;
  /** Milliseconds an OAuth provider request may take. Default 10,000. */
  oauthTimeoutMs?: number;
}

/** Actions a rule may grant. `view` covers every GET and /ws subscriptions. */
export type AuthzAction = 'view' | 'force' | 'stop' | 'rebuild' | 'cancel' | 'admin';

export interface AuthzRule {
  /** Actions granted ('*' = all). */
  actions: AuthzAction[] | '*';
  /** Roles that get them; 'authenticated' = any logged-in user, 'anonymous' = not logged in. */
  roles: string[];
  /** Only for builders whose name matches one of these glob patterns (`*`, `?`). Default all. */
  builders?: string[];
  /** Only for builds whose branch matches one of these glob patterns. Default all. */
  branches?: string[];
}

export interface WwwAuthzOptions {
  /** Anyone may read the API and UI without logging in. Default true (Buildbot's default). */
  anonymousView?: boolean;
  /** Deny-by-default rules. Default: admin may do everything, any logged-in user may view. */
  rules?: AuthzRule[];
}

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

export interface UserConfig {
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
  /** Named workers (`worker(...)`) and worker pools (`workerPool(...)`). */
  workers?: Array<WorkerSpec | WorkerPoolSpec>;
  changeSources?: ChangeSourceSpec[];
  schedulers?: SchedulerSpec[];
  builders?: BuilderOptions[];
  /** Secret providers (e.g. `secrets.directory('/etc/mastro/secrets')`), asked in order. */
  secrets?: unknown[];
  /** Global properties every build gets (source 'Global'). */
  properties?: Record<string, unknown>;
  /** Bytes kept per log (head + tail); null = unlimited. Default 64 MiB. */
  logMaxSize?: number | null;
  /** Bytes of a truncated log's end that are kept. Default 1 MiB. */
  logMaxTailSize?: number;
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
  /** Several masters share one PostgreSQL database. Default false. */
  multiMaster?: boolean;
  /** This master's name in the database. Default `<hostname>:<master dir>` like Buildbot. */
  masterName?: string;
  /**
   * Where build results go (`reporters.httpStatusPush({...})`, `reporters.mailNotifier({...})`): each
   * reporter's generators say what and when. Reports are stored with the event that causes them and
   * delivered in the background (see reportDelivery). Default none.
   */
  reporters?: ReporterSpec[];
  /** How reports are delivered: concurrency, retries, retention (reporters/delivery/options.ts has the defaults). */
  reportDelivery?: ReportDeliveryOptions;
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

export interface MasterConfig {
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
  readonly www: (Readonly<WwwOptions> & {
    readonly port: number; readonly bodyLimit: number; readonly changeHooks: Readonly<Record<string, Record<string, unknown>>>;
    readonly headersTimeoutMs: number; readonly requestTimeoutMs: number; readonly idleTimeoutMs: number; readonly maxConnectionsPerAddress: number;
  }) | null;
  /** The named workers. */
  readonly workers: readonly WorkerConfig[];
  /** The worker pools (`workerPool(...)` items of the config's `workers`). */
  readonly workerPools: readonly WorkerPoolConfig[];
  readonly changeSources: readonly ChangeSourceSpec[];
  readonly schedulers: readonly SchedulerSpec[];
  readonly builders: readonly BuilderConfig[];
  readonly secrets: readonly unknown[];
  readonly properties: Readonly<Record<string, unknown>>;
  readonly logMaxSize: number | null;
  readonly logMaxTailSize: number;
  readonly collapseRequests: boolean | CollapseRequestsFn;
  readonly buildCacheSize: number;
  readonly changeHorizon: number | null;
  /** null when no janitor runs (the default). */
  readonly janitor: Readonly<Required<JanitorOptions>> | null;
  readonly stopGracePeriod: number;
  readonly multiMaster: boolean;
  readonly masterName: string;
  readonly reporters: readonly ReporterSpec[];
  readonly reportDelivery: Readonly<Required<ReportDeliveryOptions>>;
}
