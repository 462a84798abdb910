/**
 * PB logins: each connection gets a broker whose `root` takes Buildbot's username/password login
 * (mastro-protocol's cred). Who may log in on a port, and what perspective each gets, is the
 * port's user table (`users`): on the worker port, the workers (a worker that proves its password is
 * admitted by the worker manager like a msgpack worker before its login is answered, as Buildbot's
 * PB master attaches a worker before it answers `respond`) and the users change sources and try
 * schedulers registered there (Buildbot's pbmanager). Failed logins are counted by the same limiter
 * and under the same keys as msgpack logins (upgrade-auth.ts), so guessing over PB buys nothing over
 * guessing over WebSocket.
 */
import type { Socket } from 'node:net';
import { pb } from 'mastro-protocol';
import type { WorkerCredentials } from '../credentials.js';
import type { LoginRateLimiter } from '../login-rate-limiter.js';
import type { Logger as WorkerServerLogger } from 'mastro-protocol';
import { limitKey } from '../upgrade-auth.js';

/** MD5 of each configured worker's password: what PB's challenge-response needs (Twisted keeps the same). */
export class PbCredentials {
  private digests = new Map<string, Buffer>();

  constructor(workers: readonly WorkerCredentials[] = []) { this.replace(workers); }

  replace(workers: readonly WorkerCredentials[]): void {
    this.digests = new Map(workers.map((w) => [w.name, pb.md5Digest(w.password)]));
  }

  digest(name: string): Buffer | null { return this.digests.get(name) ?? null; }

  names(): string[] { return [...this.digests.keys()]; }
}

/** One user a PB port accepts. */
export interface PbUser {
  /** MD5 of the password (`pb.md5Digest`). */
  digest: Buffer;
  /** The perspective the user gets once its password is proved; `mind` is what the client lent with `respond` (null if nothing). */
  perspective(mind: pb.RemoteReference | null, broker: pb.Broker, address: string): pb.Referenceable | Promise<pb.Referenceable>;
}

export interface PbLoginDeps {
  /** The user of that name on this port, or null. */
  users(name: string): PbUser | null;
  limiter: LoginRateLimiter;
  logger: WorkerServerLogger;
  /** Broker limits (mastro-protocol's defaults otherwise). */
  broker?: Partial<pb.BrokerOptions>;
}

/** How a connection reached the broker: bytes already read from it, and whether the dialect offer was already written (a shared port). */
export interface PbStart {
  initialData?: Buffer;
  offerSent?: boolean;
  /** What is left of the handshake time (a shared port used some of it); default the broker option. */
  handshakeTimeoutMs?: number;
}

/** Serves one PB connection. */
export function acceptPbConnection(socket: Socket, deps: PbLoginDeps, start: PbStart = {}): pb.Broker {
  const address = socket.remoteAddress ?? 'unknown';
  const log = deps.logger;
  // The root is published from the start: a client's first bytes (read already on a shared port)
  // may hold its login call.
  const root = pb.portalRoot({
    passwordDigest: (name) => deps.users(name)?.digest ?? null,
    limiter: deps.limiter,
    limitKey: (addr, name, known) => limitKey(addr, known ? name : null),
    perspective: async (name, mind) => {
      const user = deps.users(name);
      // Removed (a reconfig) between the password check and now: refused like an unknown user.
      if (!user) throw new pb.PbError(pb.FailureTypes.UNAUTHORIZED_LOGIN, `login refused for ${name}: the user was removed from the master configuration`);
      return user.perspective(mind ?? null, broker, address);
    },
  }, address);
  const broker: pb.Broker = new pb.Broker(socket, {
    ...deps.broker, role: 'server', label: `PB client ${address}`, initialData: start.initialData, offerSent: start.offerSent, namedObjects: { root },
    ...(start.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: start.handshakeTimeoutMs } : {}),
    logger: {
      debug: (...a: unknown[]) => log.debug({ address, detail: a }, 'PB'),
      warn: (...a: unknown[]) => log.warn({ address, detail: a }, 'PB'),
      error: (...a: unknown[]) => log.error({ address, detail: a }, 'PB'),
    },
  });
  void broker.closed.then((info) => {
    if (info.error) log.warn({ address, code: info.error.code }, `PB connection closed: ${info.reason}`);
  });
  return broker;
}

export interface WorkerPerspectiveDeps {
  /** Admits a logged-in worker; true once attached. */
  admit(name: string, broker: pb.Broker, mind: pb.RemoteReference, address: string): Promise<boolean>;
  /** The worker asked to be shut down gracefully (its `shutdown` call on the perspective). */
  shutdownRequested?(name: string): void;
  logger: WorkerServerLogger;
}

/** A configured worker as a PB user: its perspective is handed out once the worker manager has attached it. */
export function workerUser(name: string, digest: Buffer, deps: WorkerPerspectiveDeps): PbUser {
  return {
    digest,
    perspective: async (mind, broker, address) => {
      if (!mind) throw new pb.PbError(pb.FailureTypes.PB_ERROR, 'a worker must send its bot (the mind) with respond; is this a buildbot-worker?');
      if (!(await deps.admit(name, broker, mind, address))) {
        throw new pb.PbError(pb.FailureTypes.PB_ERROR, `worker ${name} could not be attached; the master log says why`);
      }
      return new pb.Referenceable({
        // The worker's own keepalive (its buildbot.tac `keepalive`): answering is all it needs.
        keepalive: () => null,
        shutdown: () => {
          deps.logger.info({ worker: name }, 'the worker asked to be shut down gracefully');
          deps.shutdownRequested?.(name);
          return null;
        },
      }, `perspective of worker ${name}`);
    },
  };
}
