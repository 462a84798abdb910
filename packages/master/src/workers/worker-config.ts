/**
 * Workers and worker pools as a config declares them (`worker(name, password, options)`, WorkerSpec;
 * `workerPool({...})`, WorkerPoolSpec) and in their normalised form (WorkerConfig) the engine and the worker server run on. Owned by the workers family;
 * config/types.ts assembles them into MasterConfig and re-exports them for users.
 */

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
  /** Tags the master gives the worker besides those it reports (a latent worker's `tags`); pools' come from the pool. */
  readonly tags?: readonly string[];
}
