/**
 * Workers as a config declares them (`worker(name, password, options)`, WorkerSpec) and in their
 * normalised form (WorkerConfig) the engine and the worker server run on. Owned by the workers family;
 * config/types.ts assembles them into MasterConfig and re-exports them for users.
 */

export interface WorkerOptions {
  /** Builds this worker runs at once (across all its builders). Default: no limit (null). */
  maxBuilds?: number | null;
  /** Properties every build on this worker gets (source 'Worker'). */
  properties?: Record<string, unknown>;
  /** E-mail addresses told when the worker goes missing (used by reporters later). */
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
