/**
 * Latent workers and latent pools as a config declares them (`latent({...})`, `latentPool({...})`,
 * `latent.docker/local/command({...})`) and in their normalised form the latent manager runs on.
 * Owned by the workers family; config/types.ts assembles them into MasterConfig and re-exports them.
 */
import type { LatentPoolSettings, LatentWorkerSettings } from './manager.js';

/** `latent.docker({...})` (workers/latent/docker.ts documents each option and its default). */
export interface DockerProviderOptions {
  /** The image each container runs; it must be on the Docker engine (it is not pulled). */
  image: string;
  /** unix:///var/run/docker.sock or tcp://host:2376. Default: $DOCKER_HOST, else the unix socket. */
  dockerHost?: string | null;
  /** TLS client files for a tcp:// engine (paths relative to the master directory). */
  tls?: { ca?: string; cert?: string; key?: string } | null;
  /** Bind mounts, 'host-path:container-path[:ro]'. */
  volumes?: string[];
  /** Engine API HostConfig fields merged into the container's. */
  hostConfig?: Record<string, unknown>;
  /** HostConfig.NetworkMode ('host', 'bridge', a network). */
  network?: string | null;
  env?: Record<string, string>;
  /** The container's command, replacing the image's (a string runs with `sh -c`). */
  command?: string | string[] | null;
  hostname?: string | null;
  /** 'host' or 'host:port' the container reaches the master at (Buildbot's masterFQDN). */
  masterAddress?: string;
  /** Seconds a container has to exit after SIGTERM. Default 10. */
  stopTimeout?: number;
  /** Seconds one Engine API call may take. Default 60. */
  apiTimeout?: number;
}

/** `latent.local({...})` (workers/latent/local.ts). */
export interface LocalProviderOptions {
  /** Directory holding the instances' worker directories, relative to the master directory. Default 'latent-workers'. */
  basedir?: string;
  /** Program run as `<workerCommand> start DIR --foreground`. Default: the mastro-worker CLI on this Node. */
  workerCommand?: string | string[] | null;
  env?: Record<string, string>;
  /** Default 127.0.0.1 (the worker port's host when it listens on one address). */
  masterAddress?: string;
  /** Seconds the worker has to exit after SIGTERM. Default 10. */
  stopTimeout?: number;
}

/** `latent.command({ start, stop, ... })` (workers/latent/command.ts documents the environment the commands get). */
export interface CommandProviderOptions {
  /** Starts an instance; its last line on stdout names it. A string runs with the shell. */
  start: string | string[];
  /** Stops the instance in MASTRO_INSTANCE_ID. */
  stop: string | string[];
  /** Prints this master's live instances as '<instance-id> <worker-name>' lines. Default none (the master keeps notes). */
  list?: string | string[] | null;
  env?: Record<string, string>;
  masterAddress?: string;
  /** Seconds each command may run. Default 600. */
  timeout?: number;
  /** The instances' os= and arch=, for builders selecting on them before one attached. */
  os?: string | null;
  arch?: string | null;
}

/** What `latent.docker/local/command(...)` return: a provider for `latent({ provider })` or `latentPool({ provider })`. */
export type LatentProviderSpec =
  | ({ kind: 'docker' } & DockerProviderOptions)
  | ({ kind: 'local' } & LocalProviderOptions)
  | ({ kind: 'command' } & CommandProviderOptions);

/** Options of a latent worker and a latent pool alike. */
export interface LatentCommonOptions {
  /**
   * Seconds an attached latent worker may run no build before it is stopped (Buildbot's
   * build_wait_timeout); null: never. Default 600; 0 for latent.docker (a container per build, as
   * Buildbot's DockerLatentWorker).
   */
  idleTimeout?: number | null;
  /** Seconds from the start until its worker must have attached; then the start counts as failed and the instance is stopped. Default 600. */
  startTimeout?: number;
  /** Tags builders select it by (`workerTags`), besides the platform's os=/arch= its provider knows (latent.docker: os=linux). */
  tags?: string[];
  /** Builds it runs at once. Default: no limit (null), one per builder at a time as for every worker. */
  maxBuilds?: number | null;
  /** Properties every build on it gets (source 'Worker'). */
  properties?: Record<string, unknown>;
  /**
   * After a start fails (or its worker does not attach in startTimeout) nothing more is started for
   * `initial` seconds, doubling with each failure in a row up to `max` (Buildbot's quarantine).
   * Default { initial: 10, max: 3600 }.
   */
  failureBackoff?: { initial?: number; max?: number };
}

/** `latent({ name, provider, ... })`: a named worker the master starts when a build needs it. */
export interface LatentWorkerOptions extends LatentCommonOptions {
  /** A worker name as for worker(): letters, digits, '_', '.', '-'. */
  name: string;
  /** Its password (a string or util.secret). Default: one derived from the master's `latent.key`. */
  password?: unknown;
  provider: LatentProviderSpec;
}

/** `latentPool({ name, provider, max, ... })`: up to `max` instances `NAME/1`..`NAME/max`, selected by tags. */
export interface LatentPoolOptions extends LatentCommonOptions {
  /** 1 to 63 letters, digits, '.', '_', '-' (as a worker pool's). */
  name: string;
  provider: LatentProviderSpec;
  /** Instances kept running whatever the demand. Default 0. */
  min?: number;
  /** Most instances at once. Each of the max is a worker the API lists (`NAME/3`), running or not. */
  max: number;
}

/** Normalised: as the latent manager runs it (workers/latent/manager.ts), with the password not yet rendered. */
export type LatentWorkerConfig = Omit<LatentWorkerSettings, 'password' | 'provider'> & {
  /** null: derived from the master's latent.key (workers/latent/password.ts). */
  readonly password: unknown;
  readonly provider: LatentProviderSpec;
};

export type LatentPoolConfig = Omit<LatentPoolSettings, 'provider'> & { readonly provider: LatentProviderSpec };
