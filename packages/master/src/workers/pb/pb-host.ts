/**
 * PB logins for the rest of the master (Buildbot's pbmanager): a change source (`changes.pb`) or a
 * try scheduler (`schedulers.tryUserpass`) registers its users on the worker PB port, or listens on
 * a port of its own, served with the master's PB limits (`protocols.pb`, their defaults when PB is
 * off for workers), its login limiter and its per-address connection cap.
 */
import type { Server as HttpServer } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { pb } from 'mastro-protocol';
import type { LoginRateLimiter } from '../login-rate-limiter.js';
import type { ResolvedPbOptions, WorkerServerLogger } from '../options.js';
import { acceptPbConnection, type PbUser, type PbStart } from './pb-login.js';
import { closeServer, listenOn, pbCapableServer } from './pb-listener.js';

export interface PbListenSpec {
  /** Who listens, for logs and errors: `changes.pb 'PBChangeSource:9990'`. */
  owner: string;
  port: number;
  host?: string;
  /** The users of this port. */
  users(name: string): PbUser | null;
  /** An HTTP server sharing the port (its own protocol for clients that speak first); none: PB only. */
  http?: HttpServer;
}

export interface PbPortListener {
  readonly port: number;
  /** Ends every PB connection of this port and stops listening. */
  close(): Promise<void>;
}

export interface PbHost {
  /** The worker PB port once the worker server listens; null when `protocols.pb` is off. */
  readonly workerPort: number | null;
  /** Adds a user on the worker PB port; returns its removal. Throws when PB is off or the name is taken (by a worker too). */
  registerOnWorkerPort(owner: string, name: string, user: PbUser): () => void;
  /** Listens on a port of the caller's own. */
  listen(spec: PbListenSpec): Promise<PbPortListener>;
}

export interface PbServeDeps {
  pb: ResolvedPbOptions;
  limiter: LoginRateLimiter;
  logger: WorkerServerLogger;
  maxConnectionsPerAddress: number;
  broker: Partial<pb.BrokerOptions>;
}

/** A listener of a port of its own that also ends its PB connections when closed. */
export async function listenPbPort(spec: PbListenSpec, deps: PbServeDeps): Promise<PbPortListener> {
  const brokers = new Set<pb.Broker>();
  let closing = false;
  const accept = (socket: Socket, start: PbStart): void => {
    if (closing) { socket.destroy(); return; }
    const broker = acceptPbConnection(socket, { users: spec.users, limiter: deps.limiter, logger: deps.logger, broker: deps.broker }, start);
    brokers.add(broker);
    void broker.closed.then(() => brokers.delete(broker));
  };
  const server: NetServer = pbCapableServer(spec.http ?? null, {
    pb: deps.pb, maxConnectionsPerAddress: deps.maxConnectionsPerAddress, capOption: 'protocols.msgpack.maxConnectionsPerAddress', logger: deps.logger,
  }, accept);
  const address = await listenOn(server, spec.port, spec.host).catch((err: Error) => {
    throw new Error(`${spec.owner} cannot listen on ${spec.host ?? 'all interfaces'}:${spec.port}: ${err.message}; choose another port`);
  });
  deps.logger.info({ owner: spec.owner, port: address.port }, 'PB port listening');
  return {
    port: address.port,
    async close() {
      closing = true;
      for (const b of brokers) b.close(`${spec.owner} stopped`);
      spec.http?.closeAllConnections?.();
      await closeServer(server);
    },
  };
}
