/**
 * Where PB connections arrive: beside an HTTP server on the same port (one listener that tells the
 * protocols apart, shared-port.ts), or on a port of its own. The worker port is one such listener
 * (the WebSocket server alone, or with PB: `protocols.pb.port` equal to `protocols.msgpack.port`
 * shares it, a different port gets its own); a try scheduler's port is another (`mastro try` over
 * HTTP, `buildbot try` over PB). Every listener caps connections per address.
 */
import type { Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { capConnectionsPerAddress } from '../../net/connection-limits.js';
import type { ResolvedOptions, ResolvedPbOptions } from '../options.js';
import type { Logger as WorkerServerLogger } from 'mastro-protocol';
import type { PbStart } from './pb-login.js';
import { sniffConnection } from './shared-port.js';

export interface WorkerListeners {
  /** The WebSocket port (shared with PB when the ports are equal), and the address it is bound to. */
  readonly port: number;
  readonly host: string;
  /** The PB port, or null without PB. */
  readonly pbPort: number | null;
  close(): Promise<void>;
}

export function listenOn(server: NetServer, port: number, host: string | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 4096 }, () => { server.off('error', reject); resolve(server.address() as AddressInfo); });
  });
}

export function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True when PB is on and shares the WebSocket port (the HTTP server must then not cap connections itself). */
export function pbSharesPort(options: ResolvedOptions): boolean {
  return options.pb !== null && options.pb.port === options.port;
}

export interface PbListenDeps {
  pb: ResolvedPbOptions;
  /** Connections one address may hold on this listener (0 = no limit), and the option that says so. */
  maxConnectionsPerAddress: number;
  capOption: string;
  logger: WorkerServerLogger;
}

/**
 * A listener for PB alone (`http` null) or for PB and an HTTP server on one port. `acceptPb` serves
 * a PB connection (on a shared port, greeted already and with its first bytes).
 */
export function pbCapableServer(http: HttpServer | null, deps: PbListenDeps, acceptPb: (socket: Socket, start: PbStart) => void): NetServer {
  const server = http
    ? createServer((socket) => sniffConnection(socket, { silenceMs: deps.pb.silenceMs, handshakeTimeoutMs: deps.pb.handshakeTimeoutMs, silenceOption: 'protocols.pb.silenceMs' }, {
      http: (s) => http.emit('connection', s),
      pb: (s, initialData, handshakeTimeoutMs) => acceptPb(s, { initialData, offerSent: true, handshakeTimeoutMs }),
      lateHttp: (s, requestLine) => deps.logger.warn({ address: s.remoteAddress, request: requestLine },
        `an HTTP client sent its request only after ${deps.pb.silenceMs} ms of silence and was taken for a PB client; it was answered 400. `
        + 'If this is a slow WebSocket worker, raise protocols.pb.silenceMs or give PB its own port (protocols.pb.port)'),
    }))
    : createServer((socket) => acceptPb(socket, {}));
  capConnectionsPerAddress(server, deps.maxConnectionsPerAddress, { logger: deps.logger, capOption: deps.capOption, format: 'text' });
  if (http) {
    // Node's HTTP server checks its header and request timeouts from a timer it starts when it
    // listens itself; one fed connections by another listener must be told, or a client that began
    // a request and stalled would never get its 408. Its close stops that timer again.
    server.once('listening', () => http.emit('listening'));
    server.once('close', () => http.close(() => {}));
  }
  return server;
}

export async function listenForWorkers(http: HttpServer, options: ResolvedOptions, acceptPb: (socket: Socket, start: PbStart) => void): Promise<WorkerListeners> {
  const pbOptions = options.pb;
  const deps = (pb: ResolvedPbOptions): PbListenDeps => ({ pb, maxConnectionsPerAddress: options.maxConnectionsPerAddress, capOption: 'protocols.msgpack.maxConnectionsPerAddress', logger: options.logger });
  const main: NetServer = pbOptions && pbSharesPort(options) ? pbCapableServer(http, deps(pbOptions), acceptPb) : http;
  const { port, address: host } = await listenOn(main, options.port, options.host);
  let pbServer: NetServer | null = null;
  let pbPort: number | null = pbOptions ? port : null;
  if (pbOptions && !pbSharesPort(options)) {
    pbServer = pbCapableServer(null, deps(pbOptions), acceptPb);
    pbPort = (await listenOn(pbServer, pbOptions.port, options.host).catch(async (err: Error) => {
      await closeServer(main);
      throw err;
    })).port;
  }
  return {
    port, host, pbPort,
    async close() {
      const closing = [closeServer(main), ...(pbServer ? [closeServer(pbServer)] : [])];
      http.closeAllConnections?.();
      await Promise.all(closing);
    },
  };
}
