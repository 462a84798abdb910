/**
 * Stage 2 of config loading: a user config object (from TypeScript/JavaScript or YAML) becomes a
 * validated `MasterConfig` with every default filled and every cross-reference checked. All
 * mistakes are collected, each with its path, before the result is refused.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DEFAULT_HIGH_WATER_MARK } from 'mastro-protocol';
import { isLockAccess, type LockAccess } from '../process/lock-types.js';
import type { StepFactory } from '../process/step-types.js';
import { normaliseScheduler } from '../schedulers/validate.js';
import type { SchedulerSpec } from '../schedulers/specs.js';
import { normaliseChangeSource, changeSourceName } from '../changes/validate.js';
import type { ChangeSourceSpec } from '../changes/specs.js';
import {
  bool, describe, fn, isPlainObject, knownKeys, num, numOrNull, optStr, port, record, str, stringRecord, strList,
  uniqueNames, unknownNameMessage, type Obj,
} from '../model/config-checks.js';
import { DEFAULTS } from './defaults.js';
import { normalisePbProtocol } from './pb-protocol.js';
import { checkPbChangeSourcePorts } from '../changes/pb/options.js';
import { checkWwwSecurity } from './www-auth.js';
import { replayOptionIssues } from '../www/hooks/replay-guard.js';
import { CHANGE_HOOK_DIALECT_NAMES } from '../www/hooks/dialects.js';
import { mqOptionIssues, resolveMqOptions, type MqOptions } from '../mq/connector.js';
import { ConfigError, IssueCollector, type ConfigIssue } from '../model/config-errors.js';
import { ErrorCodes } from '../errors/catalog.js';
import { declaredNumbers } from '../options/check.js';
import { LOG_OPTION_KEYS, LogOptions } from '../options/logs.js';
import { BuilderDeclaration, DbOptions, JanitorOptions, MasterOptions, MsgpackOptions, WorkerDeclaration } from '../options/master.js';
import { WWW_OPTION_KEYS, WsOptions, type WsLimits } from '../options/www.js';
import type { BuilderConfig, CollapseRequestsFn, LatentPoolConfig, LatentWorkerConfig, MasterConfig, WorkerConfig, WorkerPoolConfig } from './types.js';
import { latentItemKind, normaliseLatentPool, normaliseLatentWorker } from './latent-workers.js';
import { checkReporterSpec, reporterName } from '../reporters/registry.js';
import type { ReporterSpec } from '../reporters/base.js';
import { REPORT_DELIVERY_DEFAULTS, REPORT_DELIVERY_KEYS } from '../reporters/delivery/options.js';
import { isPoolItem, normalisePool } from './worker-pools.js';
import { selectorProblem } from '../workers/tags.js';
import { normaliseLogFile, normaliseMonitoring } from './operations.js';

// The option names come from the declarations (options/); builders also take functions and locks,
// which exist only in the TypeScript form.
export const TOP_KEYS = Object.keys(MasterOptions.properties);
export const JANITOR_KEYS = Object.keys(JanitorOptions.properties);
export const WORKER_KEYS = Object.keys(WorkerDeclaration.properties);
export const BUILDER_KEYS = [...Object.keys(BuilderDeclaration.properties), 'canStartBuild', 'nextWorker', 'nextBuild', 'locks'];
export const DB_KEYS = Object.keys(DbOptions.properties);
export const MSGPACK_KEYS = Object.keys(MsgpackOptions.properties);
export const WWW_KEYS = WWW_OPTION_KEYS;
const WS_KEYS = Object.keys(WsOptions.properties) as (keyof WsLimits & string)[];

export interface NormaliseOptions {
  /** The master directory (relative paths in the config are resolved against it). */
  masterDir: string;
  configFile?: string | null;
}

/** `warnings`: things a valid config should still be told about (e.g. change hooks open to the network). */
export interface NormaliseResult { config: MasterConfig | null; issues: ConfigIssue[]; warnings: ConfigIssue[] }

/** Validates without throwing: `config` is null when there are issues. */
export function checkConfig(raw: unknown, opts: NormaliseOptions): NormaliseResult {
  const c = new IssueCollector();
  const warnings: ConfigIssue[] = [];
  const config = build(raw, c, opts, warnings);
  return c.count ? { config: null, issues: c.issues, warnings } : { config, issues: [], warnings };
}

/** Validates and normalises, throwing a ConfigError that lists every mistake. */
export function normaliseConfig(raw: unknown, opts: NormaliseOptions): MasterConfig {
  const { config, issues } = checkConfig(raw, opts);
  if (!config) throw new ConfigError(issues, opts.configFile ?? undefined);
  return config;
}

function list(c: IssueCollector, obj: Obj, key: string): unknown[] {
  const v = obj[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) { c.add(key, `must be a list, got ${describe(v)}`); return []; }
  return v;
}

function build(raw: unknown, c: IssueCollector, opts: NormaliseOptions, warnings: ConfigIssue[]): MasterConfig {
  const masterDir = resolve(opts.masterDir);
  if (!isPlainObject(raw)) {
    c.here(`the config must be an object (export default defineConfig({...})), got ${describe(raw)}`);
    raw = {};
  }
  const r = raw as Obj;
  knownKeys(c, r, TOP_KEYS);

  const items = list(c, r, 'workers');
  // Named workers and pools share the list (and its indexes in messages) but not a namespace: pool workers are POOL/NAME.
  const latentKind = items.map(latentItemKind);
  const workers = items.map((w, i) => (latentKind[i] || isPoolItem(w) ? null : normaliseWorker(w, c.at('workers').at(i))));
  const pools = items.map((p, i) => (!latentKind[i] && isPoolItem(p) ? normalisePool(p, c.at('workers').at(i)) : null));
  const latentWorkers = items.map((w, i) => (latentKind[i] === 'latentWorker' ? normaliseLatentWorker(w, c.at('workers').at(i)) : null));
  const latentPools = items.map((p, i) => (latentKind[i] === 'latentPool' ? normaliseLatentPool(p, c.at('workers').at(i)) : null));
  // A latent worker is a named worker once attached, a latent pool's instances are POOL/N: the names are shared.
  uniqueNames(c, 'workers', items.map((_, i) => workers[i]?.name ?? latentWorkers[i]?.name), 'worker');
  uniqueNames(c, 'workers', items.map((_, i) => pools[i]?.name ?? latentPools[i]?.name), 'worker pool');
  const workerNames = new Set([...workers, ...latentWorkers].flatMap((w) => (w ? [w.name] : [])));

  const collapseRequests = collapse(c, r, 'collapseRequests', DEFAULTS.collapseRequests);
  const builders = list(c, r, 'builders').map((b, i) => normaliseBuilder(b, c.at('builders').at(i), workerNames, collapseRequests));
  uniqueNames(c, 'builders', builders.map((b) => b?.name), 'builder');
  const builderNames = new Set(builders.flatMap((b) => (b ? [b.name] : [])));

  const schedulers = list(c, r, 'schedulers').map((s, i) => normaliseScheduler(s, c.at('schedulers').at(i), builderNames, masterDir));
  uniqueNames(c, 'schedulers', list(new IssueCollector(), r, 'schedulers').map((s) => (isPlainObject(s) && typeof s.name === 'string' ? s.name : undefined)), 'scheduler');

  const changeSources = list(c, r, 'changeSources').map((s, i) => normaliseChangeSource(s, c.at('changeSources').at(i)));
  uniqueNames(c, 'changeSources', changeSources.map((s) => (s ? changeSourceName(s) : undefined)), 'change source');

  const reporterCtx = { builderNames, workerNames };
  const reporters = list(c, r, 'reporters').map((s, i) => checkReporterSpec(s, c.at('reporters').at(i), reporterCtx));
  uniqueReporterNames(c, list(new IssueCollector(), r, 'reporters'));
  const reportDelivery = normaliseReportDelivery(c, r);

  const db = isPlainObject(r.db) ? r.db : {};
  if (r.db !== undefined && !isPlainObject(r.db)) c.add('db', `must be an object { url }, got ${describe(r.db)}`);
  knownKeys(c.at('db'), db, DB_KEYS);
  const dbUrl = str(c.at('db'), db, 'url', { fallback: DEFAULTS.dbUrl, nonEmpty: true });
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(dbUrl)) c.at('db').add('url', `must start with 'sqlite:' or 'postgresql://', got ${JSON.stringify(dbUrl)}`);

  const protocols = isPlainObject(r.protocols) ? r.protocols : {};
  if (r.protocols !== undefined && !isPlainObject(r.protocols)) c.add('protocols', `must be an object { msgpack: {...}, pb: {...} }, got ${describe(r.protocols)}`);
  knownKeys(c.at('protocols'), protocols, ['msgpack', 'pb']);
  const mp = isPlainObject(protocols.msgpack) ? protocols.msgpack : {};
  const mpc = c.at('protocols').at('msgpack');
  knownKeys(mpc, mp, MSGPACK_KEYS);
  const msgpack = { ...mp, port: port(mpc, mp, 'port', DEFAULTS.workerPort) };
  for (const k of ['maxFrameSize', 'keepaliveIntervalMs', 'keepaliveTimeoutMs', 'requestTimeoutMs', 'attachTimeoutMs', 'maxUploadSize', 'maxUploadEntries', 'maxReadBlockSize']) num(mpc, mp, k, { fallback: 0, min: 1 });
  // Sends wait for drain at the high-water mark; the connection closes at maxBufferedBytes, so it must be above.
  if (num(mpc, mp, 'maxBufferedBytes', { fallback: DEFAULT_HIGH_WATER_MARK + 1, integer: true }) <= DEFAULT_HIGH_WATER_MARK) {
    mpc.add('maxBufferedBytes', `must be larger than the ${DEFAULT_HIGH_WATER_MARK}-byte high-water mark at which sends wait for the worker to read, got ${String(mp.maxBufferedBytes)}`);
  }
  // 0 turns these limits off.
  for (const k of ['maxPeerErrorsPerMinute', 'maxWarningsPerMinute', 'headersTimeoutMs', 'maxConnectionsPerAddress']) num(mpc, mp, k, { fallback: 0, min: 0, integer: true });
  const pb = normalisePbProtocol(c.at('protocols'), protocols, msgpack.port);
  checkPbChangeSourcePorts(c.at('changeSources'), changeSources, pb?.port ?? null, msgpack.port);

  let www: MasterConfig['www'] = null;
  if (r.www !== null) {
    const w = isPlainObject(r.www) ? r.www : {};
    if (r.www !== undefined && !isPlainObject(r.www)) c.add('www', `must be an object { port, ... } or null, got ${describe(r.www)}`);
    const wc = c.at('www');
    knownKeys(wc, w, WWW_KEYS);
    const hooks = record(wc, w, 'changeHooks');
    for (const [dialect, o] of Object.entries(hooks)) {
      if (!CHANGE_HOOK_DIALECT_NAMES.includes(dialect)) wc.at('changeHooks').add(dialect, `unknown change hook dialect; dialects are: ${CHANGE_HOOK_DIALECT_NAMES.join(', ')}`);
      else if (o !== true && !isPlainObject(o)) wc.at('changeHooks').add(dialect, `must be an object of options ({} for defaults), got ${describe(o)}`);
      else if (dialect !== 'base' && o !== true) {
        const rc = wc.at('changeHooks').at(dialect).at('replay');
        for (const [option, message] of replayOptionIssues((o as Record<string, unknown>).replay)) rc.add(option, message);
      }
      if (o === true) hooks[dialect] = {};
    }
    for (const message of checkWwwSecurity(wc, w, masterDir)) warnings.push({ path: 'www.changeHookAuth', message });
    www = {
      ...w,
      port: port(wc, w, 'port', DEFAULTS.httpPort),
      bodyLimit: num(wc, w, 'bodyLimit', { fallback: DEFAULTS.bodyLimit, min: 1, integer: true }),
      ws: wsLimits(wc, w.ws),
      changeHooks: hooks as Record<string, Record<string, unknown>>,
      ...wwwConnectionLimits(wc, w),
    };
    if (optStr(wc, w, 'host') === '') wc.add('host', 'must not be empty');
  }
  if (www && www.port !== 0 && www.port === msgpack.port) c.at('www').add('port', `is also the worker port (protocols.msgpack.port ${msgpack.port}); use two different ports`);
  if (www && pb && www.port !== 0 && pb.port !== msgpack.port && www.port === pb.port) c.at('www').add('port', `is also the PB worker port (protocols.pb.port ${pb.port}); use two different ports`);

  // Accepted by Buildbot-style configs but not implemented: refused rather than silently ignored.
  if (bool(c, r, 'multiMaster', false)) c.add('multiMaster', `several masters sharing one database are not supported yet (${ErrorCodes.MULTI_MASTER_UNSUPPORTED}); remove multiMaster and run one master per database`);

  const httpPort = www?.port ?? DEFAULTS.httpPort;
  const logs = declaredNumbers(c, r, LogOptions, LOG_OPTION_KEYS) as Required<LogOptions>;
  const { logMaxSize, logMaxTailSize } = logs;
  if (logMaxSize !== null && logMaxTailSize >= logMaxSize) c.add('logMaxTailSize', `must be smaller than logMaxSize (${logMaxSize})`);
  const secrets = list(c, r, 'secrets');
  secrets.forEach((s, i) => { if (typeof s !== 'object' || s === null || typeof (s as any).get !== 'function') c.at('secrets').add(i, `must be a secret provider (secrets.directory('/path')), got ${describe(s)}`); });

  return {
    masterDir,
    configFile: opts.configFile ?? null,
    title: str(c, r, 'title', { fallback: DEFAULTS.title }),
    titleURL: str(c, r, 'titleURL', { fallback: DEFAULTS.titleURL }),
    buildbotURL: ensureSlash(str(c, r, 'buildbotURL', { fallback: `http://localhost:${httpPort}/` })),
    db: {
      url: dbUrl,
      outageBufferSize: num(c.at('db'), db, 'outageBufferSize', { fallback: DEFAULTS.dbOutageBufferSize, min: 0, integer: true }),
      outageTimeout: num(c.at('db'), db, 'outageTimeout', { fallback: DEFAULTS.dbOutageTimeout, min: 0 }),
    },
    protocols: { msgpack, pb },
    www,
    workers: workers.filter((w): w is WorkerConfig => w !== null),
    workerPools: pools.filter((p): p is WorkerPoolConfig => p !== null),
    latentWorkers: latentWorkers.filter((w): w is LatentWorkerConfig => w !== null),
    latentPools: latentPools.filter((p): p is LatentPoolConfig => p !== null),
    changeSources: changeSources.filter((s): s is ChangeSourceSpec => s !== null),
    schedulers: schedulers.filter((s): s is SchedulerSpec => s !== null),
    builders: builders.filter((b): b is BuilderConfig => b !== null),
    secrets,
    properties: record(c, r, 'properties'),
    ...logs,
    collapseRequests,
    buildCacheSize: num(c, r, 'buildCacheSize', { fallback: DEFAULTS.buildCacheSize, min: 0, integer: true }),
    changeHorizon: numOrNull(c, r, 'changeHorizon', { fallback: null, min: 1, integer: true }),
    janitor: normaliseJanitor(c, r.janitor),
    stopGracePeriod: num(c, r, 'stopGracePeriod', { fallback: DEFAULTS.stopGracePeriod, min: 0 }),
    masterName: str(c, r, 'masterName', { fallback: `${hostname()}:${masterDir}`, nonEmpty: true }),
    mq: messageQueue(c, r.mq),
    reporters: reporters.filter((s): s is ReporterSpec => s !== null),
    reportDelivery,
    monitoring: normaliseMonitoring(c, r, www?.host, [...(www ? [['the web port (www.port)', www.port] as [string, number]] : []), ['the worker port (protocols.msgpack.port)', msgpack.port]]),
    log: normaliseLogFile(c, r),
  };
}

/** A reporter's name keys its queued reports: two with one name would deliver each other's. */
function uniqueReporterNames(c: IssueCollector, raw: unknown[]): void {
  const seen = new Map<string, number>();
  raw.forEach((s, i) => {
    if (!isPlainObject(s) || typeof s.kind !== 'string') return;
    const name = reporterName(s as unknown as ReporterSpec);
    const first = seen.get(name);
    if (first === undefined) { seen.set(name, i); return; }
    c.at('reporters').at(i).add('name', `reporters[${first}] is named ${JSON.stringify(name)} already${s.name === undefined ? ' (a reporter is named after its kind by default)' : ''}: give each reporter its own name (its queued reports are kept under it)`);
  });
}

function normaliseReportDelivery(c: IssueCollector, r: Obj): MasterConfig['reportDelivery'] {
  const d = REPORT_DELIVERY_DEFAULTS;
  if (r.reportDelivery !== undefined && !isPlainObject(r.reportDelivery)) c.add('reportDelivery', `must be an object { concurrency, retryFor, ... }, got ${describe(r.reportDelivery)}`);
  const o = isPlainObject(r.reportDelivery) ? r.reportDelivery : {};
  const rc = c.at('reportDelivery');
  knownKeys(rc, o, REPORT_DELIVERY_KEYS);
  const out = {
    concurrency: num(rc, o, 'concurrency', { fallback: d.concurrency, min: 1, integer: true }),
    retryFor: num(rc, o, 'retryFor', { fallback: d.retryFor, min: 0 }),
    retryInitialDelay: num(rc, o, 'retryInitialDelay', { fallback: d.retryInitialDelay, min: 0.001 }),
    retryMaxDelay: num(rc, o, 'retryMaxDelay', { fallback: d.retryMaxDelay, min: 0.001 }),
    attemptTimeout: num(rc, o, 'attemptTimeout', { fallback: d.attemptTimeout, min: 0.001 }),
    retention: num(rc, o, 'retention', { fallback: d.retention, min: 0 }),
    pollInterval: num(rc, o, 'pollInterval', { fallback: d.pollInterval, min: 0.001 }),
  };
  if (out.retryMaxDelay < out.retryInitialDelay) rc.add('retryMaxDelay', `must be at least retryInitialDelay (${out.retryInitialDelay}), got ${out.retryMaxDelay}`);
  return out;
}

/** `janitor: { logHorizon, interval?, batchSize? }` or null/absent (no janitor). */
function normaliseJanitor(c: IssueCollector, raw: unknown): MasterConfig['janitor'] {
  if (raw === undefined || raw === null) return null;
  const jc = c.at('janitor');
  if (!isPlainObject(raw)) { c.add('janitor', `must be an object { logHorizon: seconds } or null, got ${describe(raw)}`); return null; }
  knownKeys(jc, raw, JANITOR_KEYS);
  if (raw.logHorizon === undefined) jc.add('logHorizon', 'is required: the age in seconds beyond which log contents are deleted (e.g. 7776000 for 90 days)');
  return {
    logHorizon: num(jc, raw, 'logHorizon', { fallback: 1, min: 1 }),
    interval: num(jc, raw, 'interval', { fallback: DEFAULTS.janitorInterval, min: 1 }),
    batchSize: num(jc, raw, 'batchSize', { fallback: DEFAULTS.janitorBatchSize, min: 1, integer: true }),
  };
}

/** `www.ws`: the /ws limits, each checked against its declaration (options/www.ts) and defaulted. */
function wsLimits(wc: IssueCollector, raw: unknown): Required<WsLimits> {
  const wsc = wc.at('ws');
  if (raw !== undefined && raw !== null && !isPlainObject(raw)) wc.add('ws', `must be an object of limits { maxSubscriptions, ... }, got ${describe(raw)}`);
  const o = isPlainObject(raw) ? raw : {};
  knownKeys(wsc, o, WS_KEYS);
  return declaredNumbers(wsc, o, WsOptions, WS_KEYS) as Required<WsLimits>;
}

/** `mq`: checked by the connector that will build it (mq/connector.ts), so both agree on what exists. */
function messageQueue(c: IssueCollector, raw: unknown): Required<MqOptions> {
  for (const [option, message] of mqOptionIssues(raw)) (option ? c.at('mq').add(option, message) : c.add('mq', message));
  return resolveMqOptions(raw as MqOptions | undefined);
}

function ensureSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The web port's timeouts and per-address cap (net/connection-limits.ts), defaults filled in. */
function wwwConnectionLimits(c: IssueCollector, w: Obj) {
  const d = DEFAULTS.wwwConnections;
  const limits = {
    headersTimeoutMs: num(c, w, 'headersTimeoutMs', { fallback: d.headersTimeoutMs, min: 0, integer: true }),
    requestTimeoutMs: num(c, w, 'requestTimeoutMs', { fallback: d.requestTimeoutMs, min: 0, integer: true }),
    idleTimeoutMs: num(c, w, 'idleTimeoutMs', { fallback: d.idleTimeoutMs, min: 0, integer: true }),
    maxConnectionsPerAddress: num(c, w, 'maxConnectionsPerAddress', { fallback: d.maxConnectionsPerAddress, min: 0, integer: true }),
  };
  // The headers are part of the request: a headers timeout past the request timeout could never fire.
  if (limits.headersTimeoutMs > 0 && limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs) {
    c.add('headersTimeoutMs', `must not exceed requestTimeoutMs (${limits.requestTimeoutMs}), got ${limits.headersTimeoutMs}`);
  }
  return limits;
}

function collapse(c: IssueCollector, obj: Obj, key: string, fallback: boolean | CollapseRequestsFn): boolean | CollapseRequestsFn {
  const v = obj[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v === 'boolean' || typeof v === 'function') return v as boolean | CollapseRequestsFn;
  c.add(key, `must be true, false or a function (master, builder, req1, req2) => boolean, got ${describe(v)}`);
  return fallback;
}

function normaliseWorker(raw: unknown, c: IssueCollector): WorkerConfig | null {
  if (!isPlainObject(raw)) { c.here(`must be a worker (worker('name', 'password')), got ${describe(raw)}`); return null; }
  knownKeys(c, raw, WORKER_KEYS);
  const name = str(c, raw, 'name', { required: true, nonEmpty: true });
  if (name && !/^[A-Za-z0-9_.-]+$/.test(name)) c.add('name', `may contain only letters, digits, '_', '.' and '-', got ${JSON.stringify(name)}`);
  const password = raw.password;
  if (password === undefined || password === null || password === '') c.add('password', 'is required');
  else if (typeof password !== 'string' && typeof password !== 'object') c.add('password', `must be a string or a secret (util.secret('name')), got ${describe(password)}`);
  const notify = raw.notifyOnMissing;
  let notifyOnMissing: string[] = [];
  if (typeof notify === 'string') notifyOnMissing = [notify];
  else if (notify !== undefined) notifyOnMissing = strList(c, raw, 'notifyOnMissing');
  return {
    name,
    password,
    maxBuilds: numOrNull(c, raw, 'maxBuilds', { fallback: null, min: 1, integer: true }),
    properties: record(c, raw, 'properties'),
    notifyOnMissing,
    keepalive: numOrNull(c, raw, 'keepalive', { fallback: null, min: 1 }),
    missingTimeout: num(c, raw, 'missingTimeout', { fallback: DEFAULTS.workerMissingTimeout, min: 0 }),
  };
}

/** A directory name derived from a builder name (Buildbot's safeTranslate idea). */
export function safeDirName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return s === '.' || s === '..' || s === '' ? `_${s}` : s;
}

function relativeDir(c: IssueCollector, obj: Obj, key: string, fallback: string): string {
  const v = optStr(c, obj, key);
  if (v === null) return fallback;
  if (v === '' || v.startsWith('/') || /^[A-Za-z]:/.test(v) || v.split(/[\\/]/).includes('..')) {
    c.add(key, `must be a relative path without '..', got ${JSON.stringify(v)}`);
    return fallback;
  }
  return v;
}

function isStepFactory(x: unknown): x is StepFactory {
  return typeof x === 'object' && x !== null && typeof (x as any).stepType === 'string' && typeof (x as any).create === 'function';
}

function normaliseBuilder(raw: unknown, c: IssueCollector, workerNames: ReadonlySet<string>, defaultCollapse: boolean | CollapseRequestsFn): BuilderConfig | null {
  if (!isPlainObject(raw)) { c.here(`must be a builder (builder({ name, workerNames, steps })), got ${describe(raw)}`); return null; }
  knownKeys(c, raw, BUILDER_KEYS);
  const name = str(c, raw, 'name', { required: true, nonEmpty: true });
  const workerTags = strList(c, raw, 'workerTags');
  const tagProblem = selectorProblem(workerTags);
  if (tagProblem) c.at('workerTags').add(tagProblem.index, tagProblem.message);
  // workerTags alone selects workers (pool workers among them); without it workerNames is required, as in Buildbot.
  if (raw.workerNames === undefined && workerTags.length === 0) {
    if (raw.workerTags === undefined) c.add('workerNames', 'is required: list the workers that may run this builder, or select them by tags with workerTags');
    else c.add('workerTags', 'must not be empty (or give workerNames)');
  }
  const names = strList(c, raw, 'workerNames', { nonEmpty: workerTags.length === 0 });
  names.forEach((w, i) => { if (!workerNames.has(w)) c.at('workerNames').add(i, unknownNameMessage('worker', w, workerNames)); });
  const steps = list(c, raw, 'steps');
  if (raw.steps === undefined) c.add('steps', 'is required (a list of steps such as steps.shell({...}))');
  steps.forEach((s, i) => { if (!isStepFactory(s)) c.at('steps').add(i, `must be a step (steps.shell({...}), steps.git({...}), ...), got ${describe(s)}`); });
  const locks = list(c, raw, 'locks');
  locks.forEach((l, i) => { if (!isLockAccess(l)) c.at('locks').add(i, `must be a lock access (locks.master('name').access('exclusive')), got ${describe(l)}`); });
  const tags = strList(c, raw, 'tags');
  return {
    name,
    workerNames: names,
    workerTags,
    steps: steps.filter(isStepFactory),
    collapseRequests: collapse(c, raw, 'collapseRequests', defaultCollapse),
    canStartBuild: fn(c, raw, 'canStartBuild'),
    nextWorker: fn(c, raw, 'nextWorker'),
    nextBuild: fn(c, raw, 'nextBuild'),
    locks: locks as LockAccess[],
    properties: record(c, raw, 'properties'),
    defaultProperties: record(c, raw, 'defaultProperties'),
    tags,
    description: optStr(c, raw, 'description'),
    builddir: relativeDir(c, raw, 'builddir', safeDirName(name)),
    workerbuilddir: relativeDir(c, raw, 'workerbuilddir', safeDirName(name)),
    env: stringRecord(c, raw, 'env'),
    priority: num(c, raw, 'priority', { fallback: DEFAULTS.builderPriority, integer: true }),
    project: optStr(c, raw, 'project'),
  };
}
