/**
 * Latent workers and latent pools in the YAML form (`{ latent: {...} }`, `{ latentPool: {...} }` in
 * the `workers` list) and their providers' options. With the other files of this folder it is the
 * published schema (published-schema.ts). The TypeScript option types live with the family
 * (workers/latent/latent-config.ts), the checks and defaults in config/latent-workers.ts.
 */
import { AnyObject, Const, Enum, Nullable, Options, Ref, Type } from './declare.js';

const LatentProviderDocker = Options({
  masterAddress: Type.Optional(Type.String({"minLength": 1, "description": "Where the instance's worker reaches the master, 'host' or 'host:port' (Buildbot's masterFQDN): it becomes BUILDMASTER and BUILDMASTER_PORT. Default: the worker port's host when it listens on one address, else this host's name (latent.local: 127.0.0.1); the port defaults to the worker port."})),
  image: Type.String({"minLength": 1, "description": "The image each container runs (it must be on the Docker engine; it is not pulled). Its entry point starts a worker from BUILDMASTER, BUILDMASTER_PORT, WORKERNAME and WORKERPASS (Buildbot's worker images do; `mastro-worker start DIR` does)."}),
  dockerHost: Type.Optional(Type.Union([Type.String({"minLength": 1}), Type.Null()], {"description": "The Docker engine: unix:///path/to/docker.sock or tcp://host:port. Default: $DOCKER_HOST, else unix:///var/run/docker.sock."})),
  tls: Type.Optional(Type.Union([AnyObject(), Type.Null()], {"description": "TLS for a tcp:// engine: { ca, cert, key } file paths (relative to the master directory), as `dockerd --tlsverify` wants; default $DOCKER_CERT_PATH/{ca,cert,key}.pem when $DOCKER_TLS_VERIFY is set."})),
  volumes: Type.Optional(Type.Array(Type.String(), {"description": "Bind mounts, Buildbot's form 'host-path:container-path[:ro]' (HostConfig.Binds)."})),
  hostConfig: Type.Optional(AnyObject({"description": "Engine API HostConfig fields merged into the container's (e.g. { Memory: 4294967296, CpuCount: 2 }); Init defaults to true as in Buildbot."})),
  network: Type.Optional(Type.Union([Type.String({"minLength": 1}), Type.Null()], {"description": "HostConfig.NetworkMode: 'host', 'bridge', or a network's name. Default: the engine's (bridge)."})),
  env: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "string"}, "description": "More environment for the container (the latent-worker variables are always set by the master)."})),
  command: Type.Optional(Type.Union([Type.Union([Type.String({"minLength": 1}), Type.Array(Type.String(), {"minItems": 1})]), Type.Null()], {"description": "The container's command (Cmd), replacing the image's. Default: the image's."})),
  hostname: Type.Optional(Type.Union([Type.String({"minLength": 1}), Type.Null()], {"description": "The container's host name. Default: the engine's (the container id)."})),
  stopTimeout: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds a container has to exit after SIGTERM when it is stopped, before SIGKILL."})),
  apiTimeout: Type.Optional(Type.Number({"minimum": 1, "description": "Seconds one Docker Engine API call may take."})),
}, {"description": "latent.docker({...}) options"});

const LatentProviderLocal = Options({
  masterAddress: Type.Optional(Type.String({"minLength": 1, "description": "Where the instance's worker reaches the master, 'host' or 'host:port' (Buildbot's masterFQDN): it becomes BUILDMASTER and BUILDMASTER_PORT. Default: the worker port's host when it listens on one address, else this host's name (latent.local: 127.0.0.1); the port defaults to the worker port."})),
  basedir: Type.Optional(Type.String({"minLength": 1, "description": "Directory (relative to the master directory) holding one worker directory per instance, named after the worker ('/' of a pool instance as '+')."})),
  workerCommand: Type.Optional(Type.Union([Type.Union([Type.String({"minLength": 1}), Type.Array(Type.String(), {"minItems": 1})]), Type.Null()], {"description": "The program run as `<workerCommand> start DIR --foreground`. Default: this Node running the mastro-worker package's CLI."})),
  env: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "string"}, "description": "More environment for the worker process (besides the master's own and the latent-worker variables)."})),
  stopTimeout: Type.Optional(Type.Number({"minimum": 0, "description": "Seconds the worker has to exit after SIGTERM when it is stopped, before SIGKILL."})),
}, {"description": "latent.local({...}) options"});

const LatentProviderCommand = Options({
  masterAddress: Type.Optional(Type.String({"minLength": 1, "description": "Where the instance's worker reaches the master, 'host' or 'host:port' (Buildbot's masterFQDN): it becomes BUILDMASTER and BUILDMASTER_PORT. Default: the worker port's host when it listens on one address, else this host's name (latent.local: 127.0.0.1); the port defaults to the worker port."})),
  start: Type.Union([Type.String({"minLength": 1}), Type.Array(Type.String(), {"minItems": 1})], {"description": "Starts an instance: a string run by the shell, or an argument list. Its last line on stdout names the instance (MASTRO_INSTANCE_ID of stop)."}),
  stop: Type.Union([Type.String({"minLength": 1}), Type.Array(Type.String(), {"minItems": 1})], {"description": "Stops the instance named by MASTRO_INSTANCE_ID; stopping one already gone must succeed."}),
  list: Type.Optional(Type.Union([Type.Union([Type.String({"minLength": 1}), Type.Array(Type.String(), {"minItems": 1})]), Type.Null()], {"description": "Prints this master's (MASTRO_MASTER) instances still alive as '<instance-id> <worker-name>' lines. Default none: the master keeps notes of what it started."})),
  env: Type.Optional(Type.Unsafe({"type": "object", "additionalProperties": {"type": "string"}, "description": "More environment for the commands."})),
  timeout: Type.Optional(Type.Number({"minimum": 1, "description": "Seconds each command may run; then it is killed and counts as failed."})),
  os: Type.Optional(Type.Union([Type.String({"minLength": 1}), Type.Null()], {"description": "The instances' os= (linux, darwin, windows), so builders selecting os= know they fit before one has attached."})),
  arch: Type.Optional(Type.Union([Type.String({"minLength": 1}), Type.Null()], {"description": "The instances' arch= (x64, arm64, ...), likewise."})),
}, {"description": "latent.command({...}) options"});

const LatentProvider = Options({
  docker: Type.Optional(Ref("latentProvider_docker")),
  local: Type.Optional(Ref("latentProvider_local")),
  command: Type.Optional(Ref("latentProvider_command")),
}, {"minProperties": 1, "maxProperties": 1, "description": "{docker|local|command: {...}}: the provider's helper name and its options"});

const LatentWorker = Options({
  name: Type.String({"pattern": "^[A-Za-z0-9_.\\-]+$"}),
  provider: Ref("latentProvider"),
  idleTimeout: Type.Optional(Nullable(Type.Number({"minimum": 0, "description": "Seconds with no build before it is stopped (Buildbot build_wait_timeout); null: never. Default 600; 0 for docker"}))),
  startTimeout: Type.Optional(Type.Number({"minimum": 1, "description": "Seconds until the instance's worker must have attached. Default 600"})),
  tags: Type.Optional(Type.Array(Type.String())),
  maxBuilds: Type.Optional(Nullable(Type.Integer({"minimum": 1}))),
  properties: Type.Optional(AnyObject()),
  failureBackoff: Type.Optional(Options({
    initial: Type.Optional(Type.Number({"exclusiveMinimum": 0})),
    max: Type.Optional(Type.Number({"exclusiveMinimum": 0})),
  }, {"description": "Seconds: pause after a failed start, doubling up to max. Default { initial: 10, max: 3600 }"})),
  password: Type.Optional(Type.Union([Type.String({"minLength": 1}), Options({
      secret: Type.String({"minLength": 1}),
    })])),
}, {"description": "A worker the master starts when a build needs it and stops when idle (latent({ name, provider }))"});

const LatentPool = Options({
  name: Type.String({"pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"}),
  provider: Ref("latentProvider"),
  idleTimeout: Type.Optional(Nullable(Type.Number({"minimum": 0, "description": "Seconds with no build before it is stopped (Buildbot build_wait_timeout); null: never. Default 600; 0 for docker"}))),
  startTimeout: Type.Optional(Type.Number({"minimum": 1, "description": "Seconds until the instance's worker must have attached. Default 600"})),
  tags: Type.Optional(Type.Array(Type.String())),
  maxBuilds: Type.Optional(Nullable(Type.Integer({"minimum": 1}))),
  properties: Type.Optional(AnyObject()),
  failureBackoff: Type.Optional(Options({
    initial: Type.Optional(Type.Number({"exclusiveMinimum": 0})),
    max: Type.Optional(Type.Number({"exclusiveMinimum": 0})),
  }, {"description": "Seconds: pause after a failed start, doubling up to max. Default { initial: 10, max: 3600 }"})),
  min: Type.Optional(Type.Integer({"minimum": 0})),
  max: Type.Integer({"minimum": 1}),
}, {"description": "Up to max latent instances NAME/1..NAME/max, started for waiting requests, min kept warm (latentPool({...}))"});

/** The `definitions` the latent declarations add to the published schema, by the names `Ref` uses. */
export const LATENT_DEFINITIONS = {
  latentProvider_docker: LatentProviderDocker,
  latentProvider_local: LatentProviderLocal,
  latentProvider_command: LatentProviderCommand,
  latentProvider: LatentProvider,
  latentWorker: LatentWorker,
  latentPool: LatentPool,
} as const;
