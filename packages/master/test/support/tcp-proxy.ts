/**
 * Test helper: a TCP proxy on loopback in front of a database server, to take the server away from
 * one client while it stays up for everyone else. `cut()` drops every open connection (a server
 * restart, as the client sees it); `refuse(true)` also closes each new connection at once (the
 * server is down) until `refuse(false)`.
 */
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';

export interface TcpProxy {
  /** `target` with the proxy's host and port. */
  url: string;
  cut(): void;
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function tcpProxy(target: URL): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) { client.destroy(); return; }
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) { open.add(s); s.on('close', () => open.delete(s)); s.on('error', () => {}); }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const url = new URL(target.href);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const cut = () => { for (const s of open) s.destroy(); };
  return {
    url: url.href,
    cut,
    refuse: (on) => { refusing = on; if (on) cut(); },
    close: () => new Promise<void>((r) => { cut(); server.close(() => r()); }),
  };
}
