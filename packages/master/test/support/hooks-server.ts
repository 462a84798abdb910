/**
 * A real HTTP server on loopback serving `/change_hook/<dialect>` through `handleHookRequest`, the
 * way the master's HTTP server mounts the dialects; it records the Changes it was given.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { handleHookRequest, type ChangeHookDialect } from '../../src/www/hooks/dialects.js';
import type { AddChangeInput } from '../../src/data/updates-api.js';

/** Reads at most limit+1 bytes: enough to know the body is too large without buffering all of it. */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) { parts.push(chunk.subarray(0, limit + 1 - (size - chunk.length))); break; }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

export async function startHookServer(t: { after: (f: () => Promise<void>) => void }, dialects: ChangeHookDialect[]) {
  const changes: AddChangeInput[] = [];
  const byName = new Map(dialects.map((d) => [d.name, d]));
  const server = createServer(async (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const dialect = byName.get(url.pathname.replace(/^\/change_hook\//, ''));
    if (!dialect) { res.writeHead(404).end(); return; }
    const body = await readBody(req, dialect.bodyLimit);
    const reply = await handleHookRequest(dialect, { method: req.method!, headers: req.headers, query: Object.fromEntries(url.searchParams), body },
      async (c) => { changes.push(c); return changes.length; });
    res.writeHead(reply.status, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify(reply.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const post = async (dialect: string, body: string | Buffer, headers: Record<string, string> = {}, query = '') => {
    const res = await fetch(`${base}/change_hook/${dialect}${query}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    return { status: res.status, body: (await res.json()) as { message: string; changes?: number[] } };
  };
  return { base, changes, post };
}

export function fixture(name: string): string {
  return readFileSync(new URL(`../fixtures/hooks/${name}`, import.meta.url), 'utf8');
}
