/**
 * `latent.docker({ image, ... })`: each instance is a container on a Docker engine (Buildbot's
 * DockerLatentWorker, `worker/docker.py`), over the Engine API (docker-api.ts). The container is
 * told where to attach through Buildbot's latent-worker environment (environment.ts), so Buildbot's
 * own worker images work as well as one running `mastro-worker start`.
 *
 * Every container carries two labels, `org.mastro.master=<masterName>` and
 * `org.mastro.worker=<worker name>`: a master lists its own with them when it starts
 * (listInstances, for reconciliation), and a container left from a crash is removed before the
 * worker's next one is made, so nothing is leaked. Images are not pulled: the image must be on the
 * engine (`docker build`, `docker pull`, `docker load`), as with Buildbot's default autopull=False.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { DEFAULT_DOCKER_HOST, DockerClient, parseDockerHost, type DockerTls } from './docker-api.js';
import { latentEnvironment } from './environment.js';
import { LatentStartError, type InstanceRequest, type LatentInstance, type LatentProvider, type ListedInstance, type ProviderHealth } from './provider.js';
import type { LatentProviderKind, ProviderContext } from './registry.js';

export const MASTER_LABEL = 'org.mastro.master';
export const WORKER_LABEL = 'org.mastro.worker';

export interface DockerProviderSpec {
  readonly kind: 'docker';
  readonly image: string;
  readonly dockerHost: string | null;
  readonly tls: { ca?: string; cert?: string; key?: string } | null;
  readonly volumes: readonly string[];
  readonly hostConfig: Readonly<Record<string, unknown>>;
  readonly network: string | null;
  readonly env: Readonly<Record<string, string>>;
  readonly command: readonly string[] | string | null;
  readonly hostname: string | null;
  readonly masterAddress?: string;
  readonly stopTimeout: number;
  readonly apiTimeout: number;
}

export const dockerKind: LatentProviderKind<DockerProviderSpec> = {
  options: {
    image: { type: 'string', required: true, doc: 'The image each container runs (it must be on the Docker engine; it is not pulled). Its entry point starts a worker from BUILDMASTER, BUILDMASTER_PORT, WORKERNAME and WORKERPASS (Buildbot\'s worker images do; `mastro-worker start DIR` does).' },
    dockerHost: { type: 'string', nullable: true, default: null, doc: 'The Docker engine: unix:///path/to/docker.sock or tcp://host:port. Default: $DOCKER_HOST, else unix:///var/run/docker.sock.' },
    tls: { type: 'object', nullable: true, default: null, doc: 'TLS for a tcp:// engine: { ca, cert, key } file paths (relative to the master directory), as `dockerd --tlsverify` wants; default $DOCKER_CERT_PATH/{ca,cert,key}.pem when $DOCKER_TLS_VERIFY is set.' },
    volumes: { type: 'strings', default: [], doc: "Bind mounts, Buildbot's form 'host-path:container-path[:ro]' (HostConfig.Binds)." },
    hostConfig: { type: 'object', default: {}, doc: "Engine API HostConfig fields merged into the container's (e.g. { Memory: 4294967296, CpuCount: 2 }); Init defaults to true as in Buildbot." },
    network: { type: 'string', nullable: true, default: null, doc: "HostConfig.NetworkMode: 'host', 'bridge', or a network's name. Default: the engine's (bridge)." },
    env: { type: 'env', default: {}, doc: 'More environment for the container (the latent-worker variables are always set by the master).' },
    command: { type: 'command', nullable: true, default: null, doc: "The container's command (Cmd), replacing the image's. Default: the image's." },
    hostname: { type: 'string', nullable: true, default: null, doc: "The container's host name. Default: the engine's (the container id)." },
    stopTimeout: { type: 'number', min: 0, default: 10, doc: 'Seconds a container has to exit after SIGTERM when it is stopped, before SIGKILL.' },
    apiTimeout: { type: 'number', min: 1, default: 60, doc: 'Seconds one Docker Engine API call may take.' },
  },
  check(spec) {
    const problems: Array<{ key: string; message: string }> = [];
    if (spec.dockerHost !== null) {
      try { parseDockerHost(spec.dockerHost); } catch (err) { problems.push({ key: 'dockerHost', message: (err as Error).message.replace(/^dockerHost "[^"]*":? /, '') }); }
    }
    if (spec.tls !== null) {
      for (const k of Object.keys(spec.tls)) if (!['ca', 'cert', 'key'].includes(k)) problems.push({ key: 'tls', message: `has no option '${k}'; tls takes ca, cert and key (file paths)` });
      for (const [k, v] of Object.entries(spec.tls)) if (typeof v !== 'string' || !v) problems.push({ key: 'tls', message: `${k} must be a file path, got ${JSON.stringify(v)}` });
    }
    spec.volumes.forEach((v) => {
      if (!/^[^:]+:[^:]+(:(ro|rw|z|Z|[a-z,]+))?$/.test(v)) problems.push({ key: 'volumes', message: `${JSON.stringify(v)} is not 'host-path:container-path' or 'host-path:container-path:ro'` });
    });
    return problems;
  },
  create: (spec, ctx) => new DockerProvider(spec, ctx),
};

interface DockerInstance extends LatentInstance { readonly name: string }

export class DockerProvider implements LatentProvider {
  readonly kind = 'docker';
  readonly platform = { os: 'linux', arch: null };
  readonly describe: string;
  private readonly client: DockerClient;
  private readonly masterLabel: string;

  constructor(private readonly spec: DockerProviderSpec, private readonly ctx: ProviderContext) {
    const endpoint = parseDockerHost(spec.dockerHost ?? process.env.DOCKER_HOST ?? DEFAULT_DOCKER_HOST, loadTls(spec, ctx.masterDir));
    this.client = new DockerClient(endpoint, { timeoutMs: spec.apiTimeout * 1000 });
    this.describe = `the Docker engine at ${endpoint.text}`;
    this.masterLabel = `${MASTER_LABEL}=${ctx.masterName}`;
  }

  /** The container's name: readable, and unique per master and worker (a hash of both). */
  containerName(workerName: string): string {
    const hash = createHash('sha1').update(`${this.ctx.masterName}\0${workerName}`).digest('hex').slice(0, 8);
    return `mastro-${workerName.replace(/[^A-Za-z0-9_.-]/g, '-')}-${hash}`;
  }

  async startInstance(req: InstanceRequest): Promise<DockerInstance> {
    const image = this.spec.image;
    if (!(await this.client.imageExists(image))) {
      throw new LatentStartError(req.workerName, `image ${image} is not on ${this.describe}; mastro does not pull images: build, pull or load it there first (docker pull ${image})`);
    }
    // A container this worker had before (the master was killed while it ran) goes first.
    await this.removeContainersOf(req.workerName);
    const name = this.containerName(req.workerName);
    const hostConfig: Record<string, unknown> = { Init: true, ...this.spec.hostConfig };
    if (this.spec.volumes.length) hostConfig.Binds = [...((hostConfig.Binds as string[] | undefined) ?? []), ...this.spec.volumes];
    if (this.spec.network !== null) hostConfig.NetworkMode = this.spec.network;
    const body: Record<string, unknown> = {
      Image: image,
      Env: Object.entries(latentEnvironment(req, this.spec.env)).map(([k, v]) => `${k}=${v}`),
      Labels: { [MASTER_LABEL]: this.ctx.masterName, [WORKER_LABEL]: req.workerName },
      HostConfig: hostConfig,
      ...(this.spec.command !== null ? { Cmd: typeof this.spec.command === 'string' ? ['sh', '-c', this.spec.command] : [...this.spec.command] } : {}),
      ...(this.spec.hostname !== null ? { Hostname: this.spec.hostname } : {}),
    };
    let id: string;
    try {
      id = await this.client.createContainer(name, body, req.signal);
    } catch (err) {
      // Given up mid-create: the engine may have made it anyway.
      if (req.signal.aborted) await this.removeContainersOf(req.workerName).catch(() => {});
      throw err;
    }
    try {
      await this.client.startContainer(id, req.signal);
    } catch (err) {
      await this.client.removeContainer(id).catch(() => {});
      throw err;
    }
    this.ctx.log.info({ worker: req.workerName, container: id.slice(0, 12), image }, `started container ${name}`);
    return { id, name } satisfies DockerInstance;
  }

  async stopInstance(instance: LatentInstance, options: { fast: boolean }): Promise<void> {
    // A fast stop skips the grace period: the removal kills it.
    if (!options.fast) await this.client.stopContainer(instance.id, this.spec.stopTimeout);
    await this.client.removeContainer(instance.id);
  }

  async listInstances(): Promise<ListedInstance[]> {
    const found = await this.client.listContainers([this.masterLabel]);
    return found.flatMap((c) => {
      const workerName = c.Labels?.[WORKER_LABEL];
      return typeof workerName === 'string' ? [{ id: c.Id, workerName }] : [];
    });
  }

  async health(): Promise<ProviderHealth> {
    try {
      await this.client.ping();
      return { ok: true, message: `${this.describe} answers` };
    } catch (err) {
      return { ok: false, message: (err as Error).message };
    }
  }

  private async removeContainersOf(workerName: string): Promise<void> {
    for (const c of await this.client.listContainers([this.masterLabel, `${WORKER_LABEL}=${workerName}`])) {
      this.ctx.log.warn({ worker: workerName, container: c.Id.slice(0, 12) }, 'removing a container left from an earlier instance of this latent worker');
      await this.client.removeContainer(c.Id);
    }
  }
}

/** The TLS files of the spec, or $DOCKER_CERT_PATH's when $DOCKER_TLS_VERIFY is set (the docker CLI's convention). */
function loadTls(spec: DockerProviderSpec, masterDir: string): DockerTls | null {
  const read = (path: string | undefined) => (path ? readFileSync(resolve(masterDir, path)) : undefined);
  if (spec.tls !== null) {
    try {
      return { ca: read(spec.tls.ca), cert: read(spec.tls.cert), key: read(spec.tls.key) };
    } catch (err) {
      throw new Error(`latent.docker tls: ${(err as Error).message}`);
    }
  }
  const certPath = process.env.DOCKER_CERT_PATH;
  if (process.env.DOCKER_TLS_VERIFY && certPath) {
    return { ca: read(`${certPath}/ca.pem`), cert: read(`${certPath}/cert.pem`), key: read(`${certPath}/key.pem`) };
  }
  return null;
}
