/**
 * PB logins for the rest of the master, as Buildbot's pbmanager gives them: a change source
 * (`changes.pb`) or a try scheduler (`schedulers.tryUserpass`) registers a user name on a port.
 * The worker PB port takes such users beside the workers; any other port gets a listener of its own
 * the first time a user is registered on it, shared by every later registration of that port and
 * closed with the last one. Those listeners use the master's PB limits (`protocols.pb`, or their
 * defaults when PB is off for workers), its login limiter and its per-address connection cap. A
 * port may also carry an HTTP server (a try scheduler's `mastro try` endpoint): the first bytes
 * tell the protocols apart, as on the worker port.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { pb } from 'mastro-protocol';
import type { LoginRateLimiter } from '../login-rate-limiter.js';
import type { ResolvedPbOptions } from '../options.js';
import type { Logger as WorkerServerLogger } from 'mastro-protocol';
import { acceptPbConnection, type PbUser, type PbStart } from './pb-login.js';
import { closeServer, listenOn, pbCapableServer } from './pb-listener.js';
import { PbUserTable } from './pb-users.js';

export interface PbRegistrationSpec {
  /** Who registers, for logs and errors: `changes.pb 'PBChangeSource:None'`. */
  owner: string;
  /** The port; null or the worker PB port's number: the worker PB port. 0 picks a free port of its own. */
  port: number | null;
  /** Interface a port of its own binds to. Default: the worker server's. */
  host?: string;
  /** The users (name, user) that may log in there; may be none (a port opened for its HTTP server). */
  users: ReadonlyArray<readonly [string, PbUser]>;
  /** An HTTP server to serve on the same port (clients that speak first); only on a port of its own. */
  http?: HttpServer;
}

export interface PbRegistration {
  /** The port the user logs in on (the bound one when 0 was asked for). */
  readonly port: number;
  unregister(): Promise<void>;
}

export interface PbHost {
  /** The worker PB port once the worker server listens; null when `protocols.pb` is off. */
  readonly workerPort: number | null;
  /** Buildbot's `pbmanager.register`: throws when the name is taken on that port, or the port cannot be listened on. */
  register(spec: PbRegistrationSpec): Promise<PbRegistration>;
}

export interface PbServeDeps {
  pb: ResolvedPbOptions;
  limiter: LoginRateLimiter;
  logger: WorkerServerLogger;
  maxConnectionsPerAddress: number;
  broker: Partial<pb.BrokerOptions>;
  /** Interface own ports bind to (the worker server's). */
  host: string | undefined;
}

interface OwnPort {
  readonly users: PbUserTable;
  /** Registrations holding the port open. */
  holders: number;
  readonly http: HttpServer | null;
  readonly server: NetServer;
  readonly brokers: Set<pb.Broker>;
  port: number;
  closing: boolean;
}

/** The ports of their own that registrations opened, by number. */
export class PbOwnPorts {
  private readonly ports = new Map<number, OwnPort>();

  constructor(private readonly deps: PbServeDeps) {}

  async register(spec: PbRegistrationSpec & { port: number }): Promise<PbRegistration> {
    let entry = spec.port === 0 ? undefined : this.ports.get(spec.port);
    if (entry && spec.http && entry.http !== spec.http) {
      throw new Error(`${spec.owner} wants to serve HTTP on port ${spec.port}, which already serves ${entry.http ? 'another HTTP server' : 'PB alone'} for ${[...entry.users.owners()].join(', ')}; give it another port`);
    }
    entry ??= await this.open(spec);
    const own = entry;
    const removals: Array<() => void> = [];
    try {
      for (const [name, user] of spec.users) removals.push(own.users.add(spec.owner, name, user));
    } catch (err) {
      for (const r of removals) r();
      if (own.holders === 0) await this.close(own);
      throw err;
    }
    own.holders++;
    let registered = true;
    return {
      port: own.port,
      unregister: async () => {
        if (!registered) return;
        registered = false;
        for (const r of removals) r();
        if (--own.holders === 0) await this.close(own);
      },
    };
  }

  private async open(spec: PbRegistrationSpec & { port: number }): Promise<OwnPort> {
    const d = this.deps;
    const users = new PbUserTable();
    const brokers = new Set<pb.Broker>();
    const entry: OwnPort = { users, holders: 0, http: spec.http ?? null, brokers, port: spec.port, closing: false, server: null as unknown as NetServer };
    const accept = (socket: Socket, start: PbStart): void => {
      if (entry.closing) { socket.destroy(); return; }
      const broker = acceptPbConnection(socket, { users: (name) => users.get(name), limiter: d.limiter, logger: d.logger, broker: d.broker }, start);
      brokers.add(broker);
      void broker.closed.then(() => brokers.delete(broker));
    };
    (entry as { server: NetServer }).server = pbCapableServer(spec.http ?? null, {
      pb: d.pb, maxConnectionsPerAddress: d.maxConnectionsPerAddress, capOption: 'protocols.msgpack.maxConnectionsPerAddress', logger: d.logger,
    }, accept);
    const host = spec.host ?? d.host;
    const address = await listenOn(entry.server, spec.port, host).catch((err: Error) => {
      throw new Error(`${spec.owner} cannot listen on ${host ?? 'all interfaces'}:${spec.port}: ${err.message}; choose another port`);
    });
    entry.port = address.port;
    this.ports.set(entry.port, entry);
    d.logger.info({ owner: spec.owner, port: entry.port, http: Boolean(spec.http) }, 'PB port listening');
    return entry;
  }

  private async close(entry: OwnPort): Promise<void> {
    entry.closing = true;
    if (this.ports.get(entry.port) === entry) this.ports.delete(entry.port);
    for (const b of entry.brokers) b.close('the change source or scheduler of this port stopped');
    entry.http?.closeAllConnections?.();
    await closeServer(entry.server);
  }

  /** Closes every port (the master stops). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.ports.values()].map((e) => this.close(e)));
  }
}

export interface PbHostDeps {
  /** The worker PB port while the worker server listens with PB on; else null. */
  workerPort(): number | null;
  /** Whether a configured worker has this name (it may not be registered on the worker PB port). */
  isWorker(name: string): boolean;
  /** The worker PB port's users besides the workers. */
  workerPortUsers: PbUserTable;
  ownPorts: PbOwnPorts;
}

/** The registration service: the worker PB port for `port: null` (or its number), a port of its own otherwise. */
export function createPbHost(deps: PbHostDeps): PbHost {
  return {
    get workerPort() { return deps.workerPort(); },
    async register(spec) {
      const workerPort = deps.workerPort();
      if (spec.port !== null && spec.port !== workerPort) return deps.ownPorts.register({ ...spec, port: spec.port });
      if (workerPort === null) throw new Error(`${spec.owner} wants the worker PB port, but protocols.pb is off; turn it on or give ${spec.owner} a port of its own`);
      if (spec.http) throw new Error(`${spec.owner} wants to serve HTTP on the worker PB port ${workerPort}; give it a port of its own`);
      const removals: Array<() => void> = [];
      try {
        for (const [name, user] of spec.users) {
          if (deps.isWorker(name)) throw new Error(`${spec.owner}: the PB user name '${name}' is also a worker's name on the worker PB port; give one of them another name`);
          removals.push(deps.workerPortUsers.add(spec.owner, name, user));
        }
      } catch (err) {
        for (const r of removals) r();
        throw err;
      }
      return { port: workerPort, unregister: async () => { for (const r of removals.splice(0)) r(); } };
    },
  };
}
