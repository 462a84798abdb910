/**
 * PB logins on the worker port: each connection gets a broker whose `root` takes Buildbot's
 * username/password login (mastro-protocol's cred). A worker that proves its password is admitted
 * by the worker manager like a msgpack worker (duplicate arbitration, attach sequence) before its
 * login is answered, as Buildbot's PB master attaches a worker before it answers `respond`. Failed
 * logins are counted by the same limiter and under the same keys as msgpack logins
 * (upgrade-auth.ts), so guessing over PB buys nothing over guessing over WebSocket.
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
}

export interface PbLoginDeps {
  credentials: PbCredentials;
  limiter: LoginRateLimiter;
  logger: WorkerServerLogger;
  /** Admits a logged-in worker; true once attached. */
  admit(name: string, broker: pb.Broker, mind: pb.RemoteReference, address: string): Promise<boolean>;
  /** The worker asked to be shut down gracefully (its `shutdown` call on the perspective). */
  shutdownRequested?(name: string): void;
  /** Broker limits (mastro-protocol's defaults otherwise). */
  broker?: Partial<pb.BrokerOptions>;
}

/** Serves one PB connection; `initialData`: bytes already read from it (none on a PB-only port). */
export function acceptPbConnection(socket: Socket, deps: PbLoginDeps, initialData?: Buffer): pb.Broker {
  const address = socket.remoteAddress ?? 'unknown';
  const log = deps.logger;
  const broker = new pb.Broker(socket, {
    ...deps.broker, role: 'server', label: `PB client ${address}`, initialData,
    logger: {
      debug: (...a: unknown[]) => log.debug({ address, detail: a }, 'PB'),
      warn: (...a: unknown[]) => log.warn({ address, detail: a }, 'PB'),
      error: (...a: unknown[]) => log.error({ address, detail: a }, 'PB'),
    },
  });
  broker.setNamedObject('root', pb.portalRoot({
    passwordDigest: (name) => deps.credentials.digest(name),
    limiter: deps.limiter,
    limitKey: (addr, name, known) => limitKey(addr, known ? name : null),
    perspective: async (name, mind) => {
      if (!mind) throw new pb.PbError(pb.FailureTypes.PB_ERROR, 'a worker must send its bot (the mind) with respond; is this a buildbot-worker?');
      if (!(await deps.admit(name, broker, mind, address))) {
        throw new pb.PbError(pb.FailureTypes.PB_ERROR, `worker ${name} could not be attached; the master log says why`);
      }
      return new pb.Referenceable({
        // The worker's own keepalive (its buildbot.tac `keepalive`): answering is all it needs.
        keepalive: () => null,
        shutdown: () => {
          log.info({ worker: name }, 'the worker asked to be shut down gracefully');
          deps.shutdownRequested?.(name);
          return null;
        },
      }, `perspective of worker ${name}`);
    },
  }, address));
  void broker.closed.then((info) => {
    if (info.error) log.warn({ address, code: info.error.code }, `PB connection closed: ${info.reason}`);
  });
  return broker;
}
