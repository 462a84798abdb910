/**
 * Where workers connect: the WebSocket (HTTP) server alone, or with PB beside it — on the same port
 * (`protocols.pb.port` equal to `protocols.msgpack.port`, one listener that tells the protocols
 * apart, shared-port.ts) or on a port of its own. Every listener caps connections per address with
 * `protocols.msgpack.maxConnectionsPerAddress`.
 */
import type { Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { capConnectionsPerAddress } from '../../net/connection-limits.js';
import type { ResolvedOptions } from '../options.js';
import { sniffConnection } from './shared-port.js';

export interface WorkerListeners {
  /** The WebSocket port (shared with PB when the ports are equal), and the address it is bound to. */
  readonly port: number;
  readonly host: string;
  /** The PB port, or null without PB. */
  readonly pbPort: number | null;
  close(): Promise<void>;
}

function listenOn(server: NetServer, port: number, host: string | undefined): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 4096 }, () => { server.off('error', reject); resolve(server.address() as AddressInfo); });
  });
}

function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** True when PB is on and shares the WebSocket port (the HTTP server must then not cap connections itself). */
export function pbSharesPort(options: ResolvedOptions): boolean {
  return options.pb !== null && options.pb.port === options.port;
}

export async function listenForWorkers(http: HttpServer, options: ResolvedOptions, acceptPb: (socket: Socket) => void): Promise<WorkerListeners> {
  const deps = { logger: options.logger, capOption: 'protocols.msgpack.maxConnectionsPerAddress', format: 'text' as const };
  const pbOptions = options.pb;
  let main: NetServer = http;
  if (pbOptions && pbSharesPort(options)) {
    main = createServer((socket) => sniffConnection(socket, pbOptions.silenceMs, { http: (s) => http.emit('connection', s), pb: acceptPb }));
    capConnectionsPerAddress(main, options.maxConnectionsPerAddress, deps);
  }
  const { port, address: host } = await listenOn(main, options.port, options.host);
  let pbServer: NetServer | null = null;
  let pbPort: number | null = pbOptions ? port : null;
  if (pbOptions && !pbSharesPort(options)) {
    pbServer = createServer(acceptPb);
    capConnectionsPerAddress(pbServer, options.maxConnectionsPerAddress, deps);
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
