/** Real WebSocket pairs over loopback for protocol tests. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { ProtocolConnection, type ConnectionOptions } from '../../src/connection.js';
import { decodeMessage } from '../../src/codec.js';

export interface SocketPair {
  serverWs: WebSocket;
  clientWs: WebSocket;
  wss: WebSocketServer;
  shutdown(): Promise<void>;
}

/** A ws server on port 0 with one connected client. */
export async function socketPair(opts: { maxPayload?: number } = {}): Promise<SocketPair> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: opts.maxPayload });
  await once(wss, 'listening');
  const { port } = wss.address() as AddressInfo;
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>;
  const clientWs = new WebSocket(`ws://127.0.0.1:${port}/`, { maxPayload: opts.maxPayload });
  await once(clientWs, 'open');
  const [serverWs] = await accepted;
  return {
    serverWs,
    clientWs,
    wss,
    async shutdown() {
      for (const ws of [clientWs, serverWs]) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

export interface ConnectionPair extends SocketPair {
  master: ProtocolConnection;
  worker: ProtocolConnection;
}

/** Two ProtocolConnections talking to each other: `master` on the server side, `worker` on the client side. */
export async function connectionPair(masterOpts: ConnectionOptions = {}, workerOpts: ConnectionOptions = {}): Promise<ConnectionPair> {
  const pair = await socketPair();
  return { ...pair, master: new ProtocolConnection(pair.serverWs, masterOpts), worker: new ProtocolConnection(pair.clientWs, workerOpts) };
}

export interface RawPeer extends SocketPair {
  conn: ProtocolConnection;
  /** Sends raw bytes (binary frame) or text (text frame) from the raw client. */
  sendRaw(data: Buffer | string): void;
  /** Next frame or close the raw client sees. */
  nextEvent(timeoutMs?: number): Promise<RawEvent>;
}

export type RawEvent =
  | { kind: 'message'; isBinary: boolean; msg: Record<string, unknown>; raw: Buffer }
  | { kind: 'close'; code: number; reason: string };

/** A ProtocolConnection on the server side and a bare ws client that speaks raw frames to it. */
export async function rawPeer(connOpts: ConnectionOptions = {}, socketOpts: { maxPayload?: number } = {}): Promise<RawPeer> {
  const pair = await socketPair(socketOpts);
  const conn = new ProtocolConnection(pair.serverWs, connOpts);
  const events: RawEvent[] = [];
  const waiters: Array<(e: RawEvent) => void> = [];
  const push = (e: RawEvent): void => {
    const waiter = waiters.shift();
    if (waiter) waiter(e);
    else events.push(e);
  };
  pair.clientWs.on('message', (data, isBinary) => {
    push({ kind: 'message', isBinary, msg: decodeMessage(data as Buffer, isBinary), raw: data as Buffer });
  });
  pair.clientWs.on('close', (code, reason) => push({ kind: 'close', code, reason: reason.toString() }));
  pair.clientWs.on('error', () => {});
  return {
    ...pair,
    conn,
    sendRaw(data) {
      pair.clientWs.send(data, { binary: typeof data !== 'string' });
    },
    nextEvent(timeoutMs = 5000) {
      const ready = events.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame or close within ${timeoutMs} ms`)), timeoutMs);
        waiters.push((e) => { clearTimeout(timer); resolve(e); });
      });
    },
  };
}
