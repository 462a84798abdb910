/**
 * What a latent worker provider does: start a machine (a container, a VM, a local process) whose
 * worker then connects to this master, and stop it again. Buildbot's `worker/latent.py` puts
 * these in `AbstractLatentWorker.start_instance` / `stop_instance`, which `worker/docker.py`
 * and `worker/ec2.py` override; here a provider is a small object and `LatentWorker`
 * (latent-worker.ts) owns the rest: when to substantiate, waiting for the attach, the timeout,
 * cleaning up after a failed start. A new provider (docker, local, command) is one file with a
 * `LatentProvider` plus its line in registry.ts.
 */

/** Where the instance's worker finds this master: Buildbot's BUILDMASTER and BUILDMASTER_PORT. */
export interface MasterAddress { host: string; port: number }

/** The build that asked for the worker (providers may render it into the instance, e.g. an image tag). */
export interface SubstantiationBuild { builderName: string; properties: Readonly<Record<string, unknown>> }

export interface InstanceRequest {
  /** The worker name and password the instance's worker must connect with (WORKERNAME, WORKERPASS). */
  workerName: string;
  password: string;
  master: MasterAddress;
  /** null when substantiating without a build (a pool kept warm). */
  build: SubstantiationBuild | null;
  /** Aborted when the substantiation is given up (timeout, insubstantiate, master stop): stop starting. */
  signal: AbortSignal;
}

/** A started instance, as the provider needs it to stop it again. */
export interface LatentInstance {
  /** The provider's id (container id, pid, VM name), for logs. */
  readonly id: string;
}

/** An instance a provider finds running for this master (reconciliation at master start: list-mine). */
export interface ListedInstance extends LatentInstance {
  /** The worker the instance runs (its WORKERNAME). */
  readonly workerName: string;
}

/** Whether the provider can start instances now (the Docker engine answers, the start command exists). */
export interface ProviderHealth { ok: boolean; message: string }

/**
 * The platform of the instances a provider starts, known before one has attached (a Docker container
 * is Linux), so a builder selecting `os=linux` knows a latent worker of it would fit. null: unknown.
 */
export interface InstancePlatform { os: string | null; arch: string | null }

export interface LatentProvider {
  /** The provider kind ('docker', 'local', ...), as in the spec. */
  readonly kind: string;
  /** Where it starts instances, for messages ("the Docker engine at unix:///var/run/docker.sock"). */
  readonly describe?: string;
  readonly platform?: InstancePlatform;
  /**
   * Starts an instance that will run a worker connecting with the request's name and password.
   * Resolves once it is started, not once its worker attached. Throws LatentStartError (or any
   * error) with a message saying why it could not start.
   */
  startInstance(request: InstanceRequest): Promise<LatentInstance>;
  /** Stops an instance started by startInstance; `fast` skips any grace period. Safe to call twice. */
  stopInstance(instance: LatentInstance, options: { fast: boolean }): Promise<void>;
  /**
   * The instances it started for this master that still exist (Docker: containers labelled with the
   * master's name), so a master that was killed finds them when it starts again. Absent: the provider
   * keeps nothing that outlives the master.
   */
  listInstances?(): Promise<ListedInstance[]>;
  /** A cheap probe of the provider itself, tried before a start after failures (failure backoff). */
  health?(): Promise<ProviderHealth>;
}

/** A provider could not start an instance (Buildbot's LatentWorkerFailedToSubstantiate). */
export class LatentStartError extends Error {
  constructor(readonly workerName: string, readonly reason: string) {
    super(`latent worker ${workerName} could not be started: ${reason}`);
    this.name = 'LatentStartError';
  }
}
