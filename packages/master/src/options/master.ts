/**
 * The master config's own options: the top-level keys, `db`, `protocols.msgpack`, workers and
 * builders. With the other files of this folder it is the published schema (published-schema.ts).
 * See declare.ts for how a declaration works.
 */
import { AnyObject, Default, Enum, MapOf, Nullable, Options, Ref, Type, defaultsOf, type Static } from './declare.js';
import { LogOptions } from './logs.js';
import { HookReplayOptions, WwwOptions } from './www.js';
import { ChangeSourceItem, GitPollerDeclaration, PbChangeSourceDeclaration } from './changes.js';
import { SCHEDULER_DEFINITIONS } from './schedulers.js';
import { REPORTER_DEFINITIONS, ReportDeliveryOptions, ReportersOption } from './reporters.js';
import { LATENT_DEFINITIONS } from './latent.js';
import { MasterLogOptions, MonitoringOptions } from './operations.js';

const Port = (description: string) => Type.Integer({ minimum: 0, maximum: 65535, description });

export const DbOptions = Options({
  url: Default(Type.String({ description: "'sqlite:state.sqlite' or 'postgresql://user:pw@host/db'", pattern: '^(sqlite:|postgres(ql)?://)' }), 'sqlite:state.sqlite'),
  outageBufferSize: Default(Type.Integer({ minimum: 0, description: 'Bytes of log output held in memory, over all running builds, while the database cannot be written (64 MiB). When full, further lines are dropped, a marker line in the log says how many, and the build ends RETRY; 0 holds nothing' }), 64 * 1024 * 1024),
  outageTimeout: Default(Type.Number({ minimum: 0, description: 'Seconds a running build waits for an unavailable database, retrying its writes, before it gives up; a result it could not record is settled when the master next starts' }), 3600),
});
export const DB_OPTION_DEFAULTS = defaultsOf(DbOptions);

/** `protocols.msgpack`: the worker server (src/workers/options.ts documents the limits' defaults). */
export const MsgpackOptions = Options({
  port: Default(Port('Worker port (Buildbot\'s 9989); 0 picks a free port'), 9989),
  host: Type.Optional(Type.String({ description: 'Interface to listen on (all interfaces by default)' })),
  path: Type.Optional(Nullable(Type.String({ description: 'URL path workers connect to; null (default) accepts any' }))),
  maxFrameSize: Type.Optional(Type.Integer({ minimum: 1 })),
  keepaliveIntervalMs: Type.Optional(Type.Integer({ minimum: 1 })),
  keepaliveTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
  requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
  attachTimeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
  maxUploadSize: Type.Optional(Type.Integer({ minimum: 1 })),
  maxUploadEntries: Type.Optional(Type.Integer({ minimum: 1 })),
  maxReadBlockSize: Type.Optional(Type.Integer({ minimum: 1 })),
  maxPeerErrorsPerMinute: Type.Optional(Type.Integer({ minimum: 0, description: 'Protocol errors (unknown ops, invalid messages, responses nobody waits for) one worker connection may cause per minute before it is closed with 1008 MASTRO_PROTOCOL_TOO_MANY_PEER_ERRORS (default 20; 0 = no limit)' })),
  maxWarningsPerMinute: Type.Optional(Type.Integer({ minimum: 0, description: 'Protocol warning lines one worker connection may log per minute; the rest are counted (default 10; 0 = no limit)' })),
  // Above the 4 MiB high-water mark, at which sends wait for drain.
  maxBufferedBytes: Type.Optional(Type.Integer({ minimum: 4 * 1024 * 1024 + 1, description: 'Bytes waiting to be sent to one worker beyond which it is taken not to read and its connection is closed with 1008 MASTRO_PROTOCOL_PEER_NOT_READING (default 64 MiB; above the 4 MiB high-water mark)' })),
  headersTimeoutMs: Type.Optional(Type.Integer({ minimum: 0, description: "Time a connection that began its WebSocket upgrade request has to send all of it; 408 and closed otherwise (default 30000; 0 = none). With PB on the port, one that sends nothing is greeted as PB after protocols.pb.silenceMs" })),
  maxConnectionsPerAddress: Type.Optional(Type.Integer({ minimum: 0, description: 'Connections (attached workers included) one remote address may hold at once; more are answered 503 and closed (default 4096, for fleets behind one NAT address; 0 = no limit)' })),
});
export const MSGPACK_OPTION_DEFAULTS = defaultsOf(MsgpackOptions);

/** `protocols.pb`: Buildbot's PB worker protocol (config/pb-protocol.ts checks it and has its defaults). */
export const PbOptions = Type.Unsafe({"type": ["object", "null", "boolean"], "not": {"const": true}, "description": "Buildbot's PB worker protocol (what buildbot-worker speaks without --protocol); on by default, on the msgpack port (one listener for both) unless given a port of its own; null or false turns it off", "properties": {"port": {"type": "integer", "minimum": 0, "maximum": 65535, "description": "PB port (default: protocols.msgpack.port, shared)"}, "silenceMs": {"type": "integer", "minimum": 1, "description": "On a shared port, how long a silent connection waits before it is greeted as PB (default 500); an HTTP client that sends its request only later is answered 400"}, "handshakeTimeoutMs": {"type": "integer", "minimum": 1, "description": "Time a PB client has for the banana handshake (default 30000)"}, "maxElementSize": {"type": "integer", "minimum": 1, "description": "Longest string or list one PB element may declare (default 655360, Twisted's)"}, "maxInflightCalls": {"type": "integer", "minimum": 1, "description": "Calls from one PB worker running at once before the master stops reading it (default 256)"}}, "additionalProperties": false});

/** A worker in the YAML form (`worker(name, password, options)` in TypeScript). */
export const WorkerDeclaration = Options({
  name: Type.String({ pattern: '^[A-Za-z0-9_.\\-]+$' }),
  password: Type.String({ minLength: 1 }),
  maxBuilds: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: 'Builds this worker runs at once (across all its builders); null = no limit' }))),
  properties: Type.Optional(AnyObject({ description: "Properties every build on this worker gets (source 'Worker')" })),
  notifyOnMissing: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
  keepalive: Type.Optional(Nullable(Type.Number({ minimum: 1, description: 'Seconds between keepalives; null = the protocol default' }))),
  missingTimeout: Default(Type.Number({ minimum: 0, description: "Seconds a worker may be gone before it counts as missing (Buildbot's)" }), 3600),
});
export const WORKER_OPTION_DEFAULTS = defaultsOf(WorkerDeclaration);

/** A worker pool in the YAML form (`{ workerPool: {...} }`; `workerPool({...})` in TypeScript). */
export const WorkerPoolDeclaration = Options({
  name: Type.String({"pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$"}),
  token: Type.Union([Type.Union([Type.String({"minLength": 16}), Options({
        secret: Type.String({"minLength": 1}),
      })]), Type.Array(Type.Union([Type.String({"minLength": 16}), Options({
        secret: Type.String({"minLength": 1}),
      })]), {"minItems": 1, "maxItems": 2})], {"description": "The pool's token (at least 16 characters) or { secret: name }; a list of two while rotating"}),
  tags: Type.Optional(Type.Array(Type.String({"pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(=[A-Za-z0-9._:/+@-]{1,128})?$"}), {"description": "Tags every worker of the pool gets (a worker's own tag of the same key wins); not os= or arch=, which workers report"})),
  maxWorkers: Default(Type.Integer({"minimum": 1, "description": "Most workers attached at once; the next is answered 503 and retries"}), 1000),
  maxBuilds: Type.Optional(Nullable(Type.Integer({"minimum": 1, "description": "Builds each worker of the pool runs at once (default no limit)"}))),
  properties: Type.Optional(AnyObject()),
  forgetAfter: Default(Nullable(Type.Number({"minimum": 0, "description": "Seconds a pool worker may stay disconnected before it leaves the workers list; null = never"})), 86400),
}, {"description": "A pool of workers that attach with its token (mastro-worker create-worker DIR MASTER --pool NAME --token-file FILE); the master calls them NAME/<worker name>"});
export const POOL_OPTION_DEFAULTS = defaultsOf(WorkerPoolDeclaration);

/** `workers`: named workers, `{ workerPool: {...} }`, `{ latent: {...} }` and `{ latentPool: {...} }` entries (told apart by the key, so each gets its own messages). */
const WorkersOption = Type.Unsafe<unknown[]>({"type": "array", "description": "Named workers ({ name, password }), worker pools ({ workerPool: {...} }), latent workers ({ latent: {...} }) and latent pools ({ latentPool: {...} })", "items": {"if": {"type": "object", "required": ["workerPool"]}, "then": {"type": "object", "properties": {"workerPool": {"$ref": "#/definitions/workerPool"}}, "required": ["workerPool"], "additionalProperties": false}, "else": {"if": {"type": "object", "required": ["latent"]}, "then": {"type": "object", "properties": {"latent": {"$ref": "#/definitions/latentWorker"}}, "required": ["latent"], "additionalProperties": false}, "else": {"if": {"type": "object", "required": ["latentPool"]}, "then": {"type": "object", "properties": {"latentPool": {"$ref": "#/definitions/latentPool"}}, "required": ["latentPool"], "additionalProperties": false}, "else": {"$ref": "#/definitions/worker"}}}}});

/** A builder in the YAML form; functions (canStartBuild, nextWorker, nextBuild) and locks exist only in TypeScript. */
export const BuilderDeclaration = Options({
  name: Type.String({ minLength: 1 }),
  workerNames: Type.Optional(Type.Array(Type.String(), {"minItems": 1, "description": "Named workers that may run the builder (may be left out when workerTags selects them)"})),
  workerTags: Type.Optional(Type.Array(Type.String({"pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(=[A-Za-z0-9._:/+@-]{1,128})?$"}), {"minItems": 1, "description": "Tags a worker must all have (its os=/arch=, own tags and pool tags), e.g. [os=linux, docker]"})),
  steps: Type.Array(Ref('step')),
  collapseRequests: Type.Optional(Type.Boolean({ description: 'Merge compatible pending requests (default: the master collapseRequests)' })),
  properties: Type.Optional(AnyObject()),
  defaultProperties: Type.Optional(AnyObject()),
  tags: Type.Optional(Type.Array(Type.String())),
  description: Type.Optional(Nullable(Type.String())),
  builddir: Type.Optional(Type.String()),
  workerbuilddir: Type.Optional(Type.String()),
  env: Type.Optional(Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } })),
  priority: Default(Type.Integer({ description: 'Higher first when several builders compete for a worker' }), 0),
  project: Type.Optional(Nullable(Type.String())),
});
export const BUILDER_OPTION_DEFAULTS = defaultsOf(BuilderDeclaration);

/**
 * `mq`: the bus that carries the master's events (Buildbot's `c['mq']`), built by mq/connector.ts;
 * config-schema.test.ts holds these types to the connector's backends.
 */
export const MqOptions = Options({
  type: Default(Enum(['simple'] as const, { description: 'simple: the in-process bus of one master (the only type yet)' }), 'simple'),
}, { description: "The bus that carries the master's events (Buildbot's c['mq']); a change takes a restart" });
export const MQ_OPTION_DEFAULTS = defaultsOf(MqOptions);

/** `janitor`: deletes the content of old logs (master/janitor.ts), as Buildbot's JanitorConfigurator. */
export const JanitorOptions = Options({
  logHorizon: Type.Number({"minimum": 1, "description": "Seconds: logs of steps started longer ago lose their content (type 'd')"}),
  interval: Default(Type.Number({"minimum": 1, "description": "Seconds between runs; the first runs a minute after start"}), 86400),
  batchSize: Default(Type.Integer({"minimum": 1, "description": "Logs emptied per database transaction"}), 1000),
});
export const JANITOR_OPTION_DEFAULTS = defaultsOf(JanitorOptions);

const { logMaxSize, logMaxTailSize, ...logTuning } = LogOptions.properties;

/** The whole YAML document. */
export const MasterOptions = Options({
  title: Default(Type.String(), 'mastro'),
  titleURL: Default(Type.String(), 'https://github.com/mastro-ci/mastro'),
  buildbotURL: Type.Optional(Type.String({ description: 'Public URL of the web UI, used in links (default http://localhost:<www.port>/)' })),
  db: Type.Optional(DbOptions),
  protocols: Type.Optional(Options({ msgpack: Type.Optional(MsgpackOptions), pb: Type.Optional(PbOptions) })),
  www: Type.Optional(Type.Union([Type.Null(), WwwOptions])),
  workers: Type.Optional(WorkersOption),
  changeSources: Type.Optional(Type.Array(Ref('changeSource'))),
  schedulers: Type.Optional(Type.Array(Ref('scheduler'))),
  builders: Type.Optional(Type.Array(Ref<Static<typeof BuilderDeclaration>>('builder'))),
  secrets: Type.Optional(Type.Array(AnyObject(), { description: "Secret providers, asked in order: { directory: { path: '/etc/mastro/secrets' } }" })),
  properties: Type.Optional(AnyObject({ description: "Global properties every build gets (source 'Global')" })),
  logMaxSize,
  logMaxTailSize,
  ...logTuning,
  collapseRequests: Default(Type.Boolean({ description: "Default for builders that do not set collapseRequests (Buildbot's)" }), true),
  buildCacheSize: Default(Type.Integer({ minimum: 0, description: "Finished builds kept in memory for quick access (Buildbot's)" }), 15),
  changeHorizon: Default(Nullable(Type.Integer({ minimum: 1, description: 'Keep only this many newest changes in the database; null keeps all' })), null),
  janitor: Type.Optional(Type.Union([Type.Null(), JanitorOptions], { description: "Deletes the content of old logs, like Buildbot's JanitorConfigurator(logHorizon=...); null (default) keeps logs forever" })),
  stopGracePeriod: Default(Type.Number({ minimum: 0, description: 'Seconds a graceful stop waits for running builds before stopping them as RETRY' }), 300),
  multiMaster: Default(Type.Boolean({ description: 'Several masters sharing one database: not supported yet, true is refused (MASTRO_MULTI_MASTER_UNSUPPORTED)' }), false),
  masterName: Type.Optional(Type.String({ minLength: 1, description: "This master's name in the database (default <hostname>:<master dir>, like Buildbot)" })),
  mq: Type.Optional(MqOptions),
  reporters: Type.Optional(ReportersOption),
  reportDelivery: Type.Optional(ReportDeliveryOptions),
  monitoring: Type.Optional(MonitoringOptions),
  log: Type.Optional(MasterLogOptions),
});
export const MASTER_OPTION_DEFAULTS = defaultsOf(MasterOptions);

/** One step, `{ <stepType>: {options} }`: its options are checked by the step itself. */
const StepItem = MapOf(AnyObject(), { minProperties: 1, maxProperties: 1, description: 'One step: {<stepType>: {options}}, e.g. {shell: {command: [make]}}' });

/** The `definitions` of the published schema, by the names `Ref` uses. */
export const DEFINITIONS = {
  worker: WorkerDeclaration,
  workerPool: WorkerPoolDeclaration,
  builder: BuilderDeclaration,
  step: StepItem,
  changeSource: ChangeSourceItem,
  gitPoller: GitPollerDeclaration,
  pbChangeSource: PbChangeSourceDeclaration,
  hookReplay: HookReplayOptions,
  ...SCHEDULER_DEFINITIONS,
  ...REPORTER_DEFINITIONS,
  ...LATENT_DEFINITIONS,
} as const;
