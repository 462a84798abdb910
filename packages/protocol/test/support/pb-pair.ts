/** Two brokers over a real loopback TCP connection, and raw sockets for speaking banana by hand. */
import { once } from 'node:events';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { Broker, type BrokerOptions } from '../../src/pb/broker.js';

export interface BrokerPair {
  server: Broker;
  client: Broker;
  serverSocket: Socket;
  clientSocket: Socket;
  close(): Promise<void>;
}

/** A listening server whose connections get a server Broker made by `setup`. */
export async function pbServer(setup: (socket: Socket) => Broker): Promise<{ port: number; brokers: Broker[]; sockets: Socket[]; close(): Promise<void> }> {
  const brokers: Broker[] = [];
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => { sockets.push(socket); brokers.push(setup(socket)); });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port, brokers, sockets,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function brokerPair(serverOptions: Partial<BrokerOptions> = {}, clientOptions: Partial<BrokerOptions> = {}, setup?: (server: Broker) => void): Promise<BrokerPair> {
  const srv = await pbServer((socket) => {
    const b = new Broker(socket, { ...serverOptions, role: 'server' });
    setup?.(b);
    return b;
  });
  const clientSocket = connect(srv.port, '127.0.0.1');
  const client = new Broker(clientSocket, { ...clientOptions, role: 'client' });
  await client.ready;
  while (!srv.brokers[0]) await new Promise((r) => setImmediate(r));
  await srv.brokers[0].ready;
  return {
    server: srv.brokers[0], client, serverSocket: srv.sockets[0]!, clientSocket,
    async close() {
      client.close();
      clientSocket.destroy();
      await srv.close();
    },
  };
}

/** A raw client socket to `port`, collecting what it receives. */
export async function rawClient(port: number): Promise<{ socket: Socket; received(): Buffer; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await once(socket, 'connect');
  return { socket, received: () => Buffer.concat(chunks), closed };
}
