/**
 * The master's worker manager: a WebSocket server workers connect to (Buildbot's msgpack
 * protocol, or the same messages as JSON text frames). It authenticates the upgrade, arbitrates a
 * duplicate worker name, runs the attach sequence (info, settings, builder directories, then the
 * "attached" print Buildbot's `buildbot-worker start` waits for) and emits
 * `attached` / `detached` with the RemoteWorker the build steps drive.
 */
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCodes, ProtocolConnection, RemoteError, childLogger, closeReason, type Encoding, type pb } from 'mastro-protocol';
import { CredentialStore, type WorkerCredentials } from './credentials.js';
import { LoginRateLimiter } from './login-rate-limiter.js';
import { resolveOptions, resolvePbOptions, type ResolvedOptions, type WorkerServerOptions } from './options.js';
import { createUpgradeHandler } from './upgrade-auth.js';
import { PoolRegistry, type ManagedPool } from './pool-auth.js';
import { createPoolUpgradeHandler, type PoolLogin } from './pool-upgrade.js';
import { applyConnectionLimits } from '../net/connection-limits.js';
import { rawHttpReply } from '../net/raw-http-reply.js';
import { ConnectedWorker } from './connected-worker.js';
import { PbWorker } from './pb/pb-worker.js';
import { PbCredentials, acceptPbConnection, workerUser, type PbStart, type PbUser } from './pb/pb-login.js';
import { listenForWorkers, pbSharesPort, type WorkerListeners } from './pb/pb-listener.js';
import { PbUserTable } from './pb/pb-users.js';
import { PbOwnPorts, createPbHost, type PbHost } from './pb/pb-host.js';
import { prepareBuilderDirs, type BuilderSpec } from './builder-dirs.js';
import { oldConnectionYields } from './duplicate-arbitration.js';
import type { RemoteWorker } from './types.js';

/** A worker allowed to connect, with its own settings (Buildbot's per-worker `keepalive_interval`). */
export interface ManagedWorker extends WorkerCredentials {
  /** This worker's keepalive interval, ms; unset or null: the server's `keepaliveIntervalMs`. */
  keepaliveIntervalMs?: number | null;
}

export interface WorkerManagerOptions extends WorkerServerOptions {
  /** Workers allowed to connect; replace later with `setWorkers`. */
  workers?: readonly ManagedWorker[];
  /** Worker pools (PROTOCOL.md §1.1): any worker with a pool's token may join it; replace later with `setPools`. */
  pools?: readonly ManagedPool[];
}

/** An attached worker, whichever protocol it speaks (msgpack over WebSocket, or PB). */
export type AnyWorker = ConnectedWorker | PbWorker;

export interface WorkerManagerEventMap {
  attached: [worker: AnyWorker];
  detached: [worker: AnyWorker];
  /** A worker authenticated but its attach sequence failed (it was disconnected). */
  attachFailed: [name: string, error: Error];
  /** A PB worker asked to be shut down gracefully (Buildbot's `perspective_shutdown`: SIGHUP, or its shutdown file). */
  shutdownRequested: [name: string];
}

export class WorkerManager extends EventEmitter<WorkerManagerEventMap> {
  readonly options: ResolvedOptions;
  private readonly credentials: CredentialStore;
  private readonly limiter: LoginRateLimiter;
  private readonly wss: WebSocketServer;
  private http: Server | null = null;
  private workerListeners: WorkerListeners | null = null;
  private readonly pbCredentials: PbCredentials;
  /** PB connections, logged in or not, so a stopping master ends them all. */
  private readonly pbBrokers = new Set<pb.Broker>();
  /** Users of the worker PB port besides the workers (change sources, try schedulers). */
  private readonly pbUsers = new PbUserTable();
  /** PB ports of their own that change sources and try schedulers registered users on. */
  private readonly ownPbPorts: PbOwnPorts;
  /** Connections by worker name, attaching or attached: at most one per name. */
  private readonly sessions = new Map<string, AnyWorker>();
  private readonly attachedWorkers = new Map<string, AnyWorker>();
  private readonly builderLists = new Map<string, BuilderSpec[]>();
  /** Per-name queue so two connections of one name are arbitrated one after the other. */
  private readonly admissions = new Map<string, Promise<void>>();
  /** Per-worker queue so builder-directory updates never interleave. */
  private readonly builderUpdates = new WeakMap<AnyWorker, Promise<void>>();
  private closing = false;
  /** Per-worker keepalive intervals (ms), applied to that worker's next connection. */
  private keepalives = new Map<string, number>();
  private readonly pools: PoolRegistry;
  /** The pool and token of each pool worker's connection, so a reconfig that revokes the token can find it. */
  private readonly poolLogins = new WeakMap<AnyWorker, PoolLogin>();
  /** Builders a worker serves beyond its `setBuilderList` ones, decided from its info (tag selection, pool workers). */
  private builderProvider: ((worker: AnyWorker) => BuilderSpec[]) | null = null;

  constructor(options: WorkerManagerOptions = {}) {
    super();
    this.options = resolveOptions(options);
    this.credentials = new CredentialStore(options.workers ?? []);
    this.pbCredentials = new PbCredentials(options.workers ?? []);
    this.keepalives = keepalivesOf(options.workers ?? []);
    this.pools = new PoolRegistry(options.pools ?? []);
    this.limiter = new LoginRateLimiter(this.options.loginRateLimit);
    this.ownPbPorts = new PbOwnPorts({
      pb: this.pbLimits(), limiter: this.limiter, logger: this.options.logger, host: this.options.host,
      maxConnectionsPerAddress: this.options.maxConnectionsPerAddress, broker: this.pbBrokerOptions(),
    });
    this.wss = new WebSocketServer({
      noServer: true, maxPayload: this.options.maxFrameSize, perMessageDeflate: false, clientTracking: false,
    });
  }

  /** Starts listening; resolves with the bound port (useful with port 0). */
  async listen(): Promise<{ port: number; host: string }> {
    if (this.http) throw new Error('WorkerManager is already listening');
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket', Connection: 'close' });
      res.end('this port is for mastro/Buildbot workers: connect with a WebSocket (msgpack_experimental_v7)\n');
    });
    http.on('upgrade', createUpgradeHandler({
      credentials: this.credentials, limiter: this.limiter, wss: this.wss, path: this.options.path,
      logger: this.options.logger, onAuthenticated: (name, ws, address, encoding, hinted) => this.onAuthenticated(name, ws, address, encoding, hinted),
      poolLogin: createPoolUpgradeHandler({
        pools: this.pools, limiter: this.limiter, wss: this.wss, logger: this.options.logger,
        onAuthenticated: (name, ws, address, encoding, hinted, login) => this.onAuthenticated(name, ws, address, encoding, hinted, login),
      }),
    }));
    const timeout = this.options.headersTimeoutMs;
    http.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      // Node's own 408 for a connection past headersTimeoutMs, said in words; other garbage is just dropped.
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable) {
        rawHttpReply(socket, 408, `the WebSocket upgrade request did not arrive within ${timeout} ms (protocols.msgpack.headersTimeoutMs); connect again\n`);
        setTimeout(() => socket.destroy(), 1_000).unref();
        return;
      }
      socket.destroy();
    });
    // An upgrade request has no body, so the headers timeout bounds the whole request; there is no
    // idle time to bound (anything but an upgrade is answered 426 and closed), and an idle timer
    // would only cut the 408 above short.
    // With PB on the same port, the shared listener caps connections, PB ones included.
    const cap = pbSharesPort(this.options) ? 0 : this.options.maxConnectionsPerAddress;
    applyConnectionLimits(http, { headersTimeoutMs: timeout, requestTimeoutMs: timeout, idleTimeoutMs: 0, maxConnectionsPerAddress: cap }, {
      logger: this.options.logger, capOption: 'protocols.msgpack.maxConnectionsPerAddress', format: 'text',
    });
    const listeners = await listenForWorkers(http, this.options, (socket, start) => this.acceptPb(socket, start));
    this.http = http;
    this.workerListeners = listeners;
    this.options.logger.info({ port: listeners.port, pbPort: listeners.pbPort ?? undefined, host: listeners.host }, 'worker server listening');
    return { port: listeners.port, host: listeners.host };
  }

  get port(): number {
    if (!this.workerListeners) throw new Error('WorkerManager is not listening; call listen() first');
    return this.workerListeners.port;
  }

  /** The PB port (the WebSocket port when they are shared); null without `pb`. */
  get pbPort(): number | null {
    if (!this.workerListeners) throw new Error('WorkerManager is not listening; call listen() first');
    return this.workerListeners.pbPort;
  }

  /** Replaces the configured workers (reconfig). Connected workers no longer configured are disconnected. */
  setWorkers(workers: readonly ManagedWorker[]): void {
    this.keepalives = keepalivesOf(workers);
    this.pbCredentials.replace(workers);
    for (const w of workers) {
      const owner = this.pbUsers.owner(w.name);
      if (owner) this.options.logger.error({ worker: w.name }, `worker ${w.name} cannot log in over PB: ${owner} uses that name on the PB port; rename one of them`);
    }
    for (const name of this.credentials.replace(workers)) {
      const worker = this.sessions.get(name);
      if (worker) {
        this.options.logger.info({ worker: name }, 'worker removed from the configuration; disconnecting it');
        worker.disconnect(CloseCodes.NORMAL, 'worker removed from the master configuration');
      }
    }
  }

  /**
   * Replaces the pools (reconfig). A connection whose pool is gone, or whose token the pool no longer
   * accepts (a rotation finished), is disconnected: at its next login it is refused like any stranger.
   */
  setPools(pools: readonly ManagedPool[]): void {
    this.pools.replace(pools);
    for (const worker of this.sessions.values()) {
      const login = this.poolLogins.get(worker);
      if (!login || this.pools.accepts(login.pool, login.tokenKey)) continue;
      const why = this.pools.has(login.pool)
        ? `the token it joined pool '${login.pool}' with was removed from the master configuration; give it a current token`
        : `pool '${login.pool}' was removed from the master configuration`;
      this.options.logger.info({ worker: worker.name, pool: login.pool }, `disconnecting a pool worker: ${why}`);
      worker.disconnect(CloseCodes.POLICY_VIOLATION, closeReason(why));
    }
  }

  /** Distinct workers holding a place in a pool (attached or attaching). */
  poolMembers(pool: string): number { return this.pools.memberCount(pool); }

  /**
   * Sets how the builders of a worker that are decided by its info (tags, pool) are found; they are
   * applied with its `setBuilderList` ones on attach and by `refreshBuilderLists`.
   */
  setBuilderProvider(provider: ((worker: AnyWorker) => BuilderSpec[]) | null): void {
    this.builderProvider = provider;
  }

  /** Applies the builder list of every attached worker (or of those `only` picks) again, after a reconfig changed builders. */
  refreshBuilderLists(only: (worker: AnyWorker) => boolean = () => true): Promise<void> {
    return Promise.all(this.workers.filter(only).map((w) => this.applyBuilderList(w).catch((err) => {
      this.options.logger.warn({ err, worker: w.name }, 'updating the builder directories of a worker failed');
    }))).then(() => undefined);
  }

  /**
   * Sets the builders a worker serves; applied on attach and, if the worker is attached, right now
   * (its missing builder directories are created). Resolves when applied.
   */
  setBuilderList(workerName: string, builders: readonly BuilderSpec[]): Promise<void> {
    this.builderLists.set(workerName, [...builders]);
    const worker = this.attachedWorkers.get(workerName);
    return worker ? this.applyBuilderList(worker) : Promise.resolve();
  }

  /** The attached worker of that name, if any. */
  getWorker(name: string): AnyWorker | undefined { return this.attachedWorkers.get(name); }

  /** Whether the worker port is open (between listen() and close()): /readyz asks. */
  get listening(): boolean { return this.workerListeners !== null && !this.closing; }

  /** Every attached worker. */
  get workers(): AnyWorker[] { return [...this.attachedWorkers.values()]; }

  /** Closes every worker connection (running commands end with lostConnection) and stops listening. */
  async close(): Promise<void> {
    this.closing = true;
    const all = [...this.sessions.values()];
    for (const w of all) w.disconnect(CloseCodes.GOING_AWAY, 'master shutting down');
    await Promise.all(all.map((w) => closedOf(w).catch(() => undefined)));
    for (const broker of this.pbBrokers) broker.close('master shutting down');
    await this.ownPbPorts.closeAll();
    const listeners = this.workerListeners;
    this.http = null;
    this.workerListeners = null;
    if (listeners) await listeners.close();
  }

  /** A connection on the PB port: its broker lives until it closes; a worker's login is admitted by admitPb. */
  private acceptPb(socket: Socket, start: PbStart): void {
    const o = this.options;
    if (this.closing || !o.pb) { socket.destroy(); return; }
    const broker = acceptPbConnection(socket, { users: (name) => this.workerPortUser(name), limiter: this.limiter, logger: o.logger, broker: this.pbBrokerOptions() }, start);
    this.pbBrokers.add(broker);
    void broker.closed.then(() => this.pbBrokers.delete(broker));
  }

  /** A registered user (change source, try scheduler), else a configured worker. */
  private workerPortUser(name: string): PbUser | null {
    const registered = this.pbUsers.get(name);
    if (registered) return registered;
    const digest = this.pbCredentials.digest(name);
    if (!digest) return null;
    return workerUser(name, digest, {
      admit: (n, b, mind, address) => this.admitPb(n, b, mind, address),
      shutdownRequested: (n) => this.emit('shutdownRequested', n),
      logger: this.options.logger,
    });
  }

  private pbLimits() { return this.options.pb ?? resolvePbOptions({}, this.options.port); }

  private pbBrokerOptions(): Partial<pb.BrokerOptions> {
    const o = this.options;
    const p = this.pbLimits();
    return {
      handshakeTimeoutMs: p.handshakeTimeoutMs, maxElementSize: p.maxElementSize, maxInflightCalls: p.maxInflightCalls,
      maxBufferedBytes: o.maxBufferedBytes, maxPeerErrorsPerMinute: o.maxPeerErrorsPerMinute,
    };
  }

  /**
   * PB logins for change sources and try schedulers (Buildbot's pbmanager): users on the worker PB
   * port, or on ports of their own with this server's PB limits, login limiter and connection cap.
   */
  pbHost(): PbHost {
    return createPbHost({
      workerPort: () => (this.options.pb ? this.workerListeners?.pbPort ?? null : null),
      isWorker: (name) => this.pbCredentials.digest(name) !== null,
      workerPortUsers: this.pbUsers, ownPorts: this.ownPbPorts,
    });
  }

  private onAuthenticated(name: string, ws: WebSocket, remoteAddress: string, encoding: Encoding, hinted: boolean, login?: PoolLogin): void {
    const o = this.options;
    const connection = new ProtocolConnection(ws, {
      encoding,
      maxFrameSize: o.maxFrameSize, requestTimeoutMs: o.requestTimeoutMs, keepaliveIntervalMs: this.keepalives.get(name) ?? o.keepaliveIntervalMs,
      keepaliveTimeoutMs: o.keepaliveTimeoutMs, highWaterMark: o.highWaterMark, validate: o.validate, logger: childLogger(o.logger, { worker: name }),
      maxPeerErrorsPerMinute: o.maxPeerErrorsPerMinute, maxWarningsPerMinute: o.maxWarningsPerMinute, maxBufferedBytes: o.maxBufferedBytes,
    });
    if (this.closing) { connection.close(CloseCodes.GOING_AWAY, 'master shutting down'); return; }
    // Registered after the connection's own listener, so by the time it fires the connection has
    // already switched to the encoding of that first frame.
    const spoke = hinted ? Promise.resolve() : peerSpeaksFirst(ws, o.firstFrameGraceMs);
    void this.queueAdmission(name, () => spoke.then(() => {
      // A reconfig may have revoked the token while this connection waited for its turn.
      if (login && !this.pools.accepts(login.pool, login.tokenKey)) {
        o.logger.info({ worker: name, pool: login.pool }, 'refused a pool worker: its token was revoked while it connected');
        connection.close(CloseCodes.POLICY_VIOLATION, closeReason(`pool '${login.pool}' no longer accepts this token; give the worker a current one`));
        return false;
      }
      return this.admit(name, () => new ConnectedWorker(name, connection, remoteAddress, this.options), remoteAddress, login);
    }))
      .catch((err: Error) => {
        o.logger.error({ err, worker: name }, 'worker admission failed');
        connection.close(CloseCodes.INTERNAL_ERROR, 'master failed to admit the worker');
      });
  }

  /**
   * A PB worker that logged in (pb/pb-login.ts): admitted like a msgpack worker, one name at a
   * time. Resolves true once attached; false when it was refused (a live duplicate) or its attach
   * failed, and its connection is then closed.
   */
  admitPb(name: string, broker: pb.Broker, mind: pb.RemoteReference, remoteAddress: string): Promise<boolean> {
    if (this.closing) {
      broker.close('master shutting down');
      return Promise.resolve(false);
    }
    const keepalive = this.keepalives.get(name) ?? this.options.keepaliveIntervalMs;
    return this.queueAdmission(name, () => this.admit(name, () => new PbWorker(name, broker, mind, remoteAddress, this.options, keepalive), remoteAddress));
  }

  /** Runs `admission` after the earlier admissions of the same name, so duplicates are arbitrated one after the other. */
  private queueAdmission<T>(name: string, admission: () => Promise<T>): Promise<T> {
    const previous = this.admissions.get(name) ?? Promise.resolve();
    const run = previous.then(admission);
    const next = run.then(() => undefined, () => undefined);
    this.admissions.set(name, next);
    void next.finally(() => { if (this.admissions.get(name) === next) this.admissions.delete(name); });
    return run;
  }

  private async admit(name: string, create: () => AnyWorker, remoteAddress: string, login?: PoolLogin): Promise<boolean> {
    const log = this.options.logger;
    const worker = create();
    if (login) this.poolLogins.set(worker, login);
    const existing = this.sessions.get(name);
    if (existing) {
      if (!(await oldConnectionYields(existing, this.options.duplicatePingTimeoutMs))) {
        log.warn({ worker: name, address: remoteAddress, existing: existing.remoteAddress }, 'refused a duplicate worker connection: the existing one is alive');
        worker.disconnect(CloseCodes.REPLACED, closeReason(`worker ${name} is already connected and alive; stop the other instance first`));
        return false;
      }
      log.warn({ worker: name, address: remoteAddress, existing: existing.remoteAddress }, 'replacing a dead connection of this worker');
      this.forget(existing);
      existing.disconnect(CloseCodes.REPLACED, 'replaced by a new connection of this worker');
    }
    this.sessions.set(name, worker);
    closedOf(worker).then(() => this.forget(worker), () => this.forget(worker));
    try {
      await withTimeout(this.attachSequence(worker), this.options.attachTimeoutMs, `worker ${name} did not finish attaching within ${this.options.attachTimeoutMs} ms`);
    } catch (err) {
      if (!worker.connected) return false;
      log.error({ err, worker: name }, 'worker attach failed; disconnecting it');
      this.emit('attachFailed', name, err as Error);
      worker.disconnect(CloseCodes.POLICY_VIOLATION, closeReason(`attach failed: ${(err as Error).message}`));
      return false;
    }
    if (!worker.connected || this.sessions.get(name) !== worker) return false;
    this.attachedWorkers.set(name, worker);
    log.info({ worker: name, address: remoteAddress, version: worker.info.version, system: worker.info.system, protocol: worker instanceof PbWorker ? 'pb' : 'msgpack' }, 'worker attached');
    this.emit('attached', worker);
    return true;
  }

  private async attachSequence(worker: AnyWorker): Promise<void> {
    // A PB worker has no settings to set; its builder list creates its directories (Buildbot's PB master does the same).
    if (worker instanceof PbWorker) {
      await worker.readInfo();
      await this.applyBuilderList(worker);
      await worker.print('attached');
      return;
    }
    const conn = worker.connection;
    worker.setInfo(await conn.request('get_worker_info', {}));
    const { mastro_output_bytes: bytes, ...settings } = this.options.workerSettings;
    // Bytes travel as base64 in JSON: only msgpack sessions are asked for them.
    const args = bytes && conn.encoding === 'msgpack' ? { ...settings, mastro_output_bytes: true } : settings;
    await conn.request('set_worker_settings', { args });
    await this.applyBuilderList(worker);
    // `buildbot-worker start` waits for "message from master: attached" in its log. Buildbot's master
    // prints it before get_worker_info; after the sequence it also means the attach succeeded.
    try { await worker.print('attached'); } catch (err) {
      if (!(err instanceof RemoteError)) throw err;
      this.options.logger.debug({ worker: worker.name, err }, 'worker refused the "attached" print; attaching it anyway');
    }
  }

  private applyBuilderList(worker: AnyWorker): Promise<void> {
    const previous = this.builderUpdates.get(worker) ?? Promise.resolve();
    const builders = () => this.builderListOf(worker);
    const next = previous.catch(() => undefined).then(() => (worker instanceof PbWorker ? worker.setBuilderList(builders()) : prepareBuilderDirs(worker, builders())));
    this.builderUpdates.set(worker, next);
    return next;
  }

  /** The builders set for the worker's name plus those its info selects it for, each once. */
  private builderListOf(worker: AnyWorker): BuilderSpec[] {
    const named = this.builderLists.get(worker.name) ?? [];
    const provided = this.builderProvider?.(worker) ?? [];
    if (!provided.length) return named;
    const names = new Set(named.map((b) => (typeof b === 'string' ? b : b.name)));
    return [...named, ...provided.filter((b) => !names.has(typeof b === 'string' ? b : b.name))];
  }

  /** Drops a connection from the tables; emits `detached` when it had been attached. */
  private forget(worker: AnyWorker): void {
    if (this.sessions.get(worker.name) === worker) this.sessions.delete(worker.name);
    if (this.attachedWorkers.get(worker.name) === worker) {
      this.attachedWorkers.delete(worker.name);
      this.options.logger.info({ worker: worker.name }, 'worker detached');
      this.emit('detached', worker);
    }
  }
}

/** The same class under the name the issue uses for the listening side. */
export { WorkerManager as WorkerServer };

export type { RemoteWorker };

/**
 * Only when `firstFrameGraceMs` is set (default 0): for old JSON workers that give no hint on the
 * upgrade but open with a JSON request of their own, the master waits briefly for such a first frame
 * before speaking (it follows the encoding of the frames it receives). Hinted workers skip the wait.
 */
function peerSpeaksFirst(ws: WebSocket, graceMs: number): Promise<void> {
  if (graceMs <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); ws.off('message', done); ws.off('close', done); resolve(); };
    const timer = setTimeout(done, graceMs);
    ws.on('message', done);
    ws.on('close', done);
  });
}

function closedOf(worker: AnyWorker): Promise<unknown> {
  return worker instanceof PbWorker ? worker.closed : worker.connection.closed;
}

function keepalivesOf(workers: readonly ManagedWorker[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const w of workers) if (typeof w.keepaliveIntervalMs === 'number' && w.keepaliveIntervalMs > 0) out.set(w.name, w.keepaliveIntervalMs);
  return out;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

