/**
 * A real forward proxy on loopback, as a company proxy behaves: `CONNECT host:port` opens a tunnel
 * (https targets), a request with an absolute URI (`GET http://host/path`) is forwarded (plain http
 * targets). It records each use, so a test proves a request went through it, or (NO_PROXY) did not.
 * `requireAuth` makes it answer 407 without the right `Proxy-Authorization`.
 */
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface ProxyUse {
  kind: 'connect' | 'forward';
  /** `host:port` for a tunnel, the absolute URL for a forwarded request. */
  target: string;
  proxyAuthorization?: string;
}

export interface ForwardProxy {
  url: string;
  uses: ProxyUse[];
  close(): Promise<void>;
}

export async function startForwardProxy(opts: { requireAuth?: { user: string; password: string } } = {}): Promise<ForwardProxy> {
  const uses: ProxyUse[] = [];
  const sockets = new Set<Socket>();
  const expected = opts.requireAuth ? `Basic ${Buffer.from(`${opts.requireAuth.user}:${opts.requireAuth.password}`).toString('base64')}` : undefined;
  const authorized = (req: IncomingMessage) => expected === undefined || req.headers['proxy-authorization'] === expected;
  const record = (kind: ProxyUse['kind'], target: string, req: IncomingMessage) => {
    const use: ProxyUse = { kind, target };
    if (req.headers['proxy-authorization']) use.proxyAuthorization = req.headers['proxy-authorization'];
    uses.push(use);
  };

  const server = createServer((req, res) => {
    const target = req.url ?? '';
    record('forward', target, req);
    if (!authorized(req)) { res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end(); return; }
    if (!/^http:\/\//.test(target)) { res.writeHead(400).end('forward proxy: absolute http:// URI expected'); return; }
    const { 'proxy-authorization': _pa, 'proxy-connection': _pc, ...headers } = req.headers;
    const up = httpRequest(target, { method: req.method, headers }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', (e) => { if (!res.headersSent) res.writeHead(502).end(`forward proxy: ${e.message}`); else res.destroy(); });
    req.pipe(up);
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    record('connect', target, req);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (!authorized(req)) { client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n'); return; }
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'));
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    uses,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}
