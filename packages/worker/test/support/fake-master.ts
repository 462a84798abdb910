/** A tiny master for tests: a `ws` server with Basic auth and a ProtocolConnection per worker. */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ProtocolConnection, parseBasicAuthHeader, type Encoding } from 'mastro-protocol';
import { startWorker, type RunningWorker, type WorkerOptions } from '../../src/index.js';
import { tempDir } from './helpers.js';

export interface FakeMaster {
  port: number;
  url: string;
  /** Connections accepted so far, in order. */
  connections: ProtocolConnection[];
  /** Whether each accepted connection's first frame from the worker was binary (msgpack). */
  binaryFrames: boolean[];
  /** Per connection, whether each frame from the worker was binary, in order. */
  frameKinds: boolean[][];
  /** Per connection, the encoding the worker named on the upgrade (X-Mastro-Encoding), if any. */
  encodingHints: Array<string | undefined>;
  /** Per upgrade request (accepted or not), the worker name, password and X-Mastro-Pool it sent. */
  logins: Array<{ name?: string; password?: string; pool?: string }>;
  rejected: number;
  updates: Map<string, Array<[string, unknown]>>;
  completed: Map<string, string | null>;
  nextConnection(): Promise<ProtocolConnection>;
  /** Resolves with the `complete` args of a command. */
  completion(commandId: string): Promise<string | null>;
  close(): Promise<void>;
}

/**
 * `pool`: the master also knows that pool (PROTOCOL.md §1.1) and accepts any worker name with one
 * of its tokens, echoing X-Mastro-Pool on every answer to a pool login. Without it the master is
 * one that knows no pools: it ignores the header and checks the name and token as a named worker's.
 */
export async function startFakeMaster(opts: { name: string; password: string; port?: number; pool?: { name: string; tokens: string[] } }): Promise<FakeMaster> {
  const wss = new WebSocketServer({
    port: opts.port ?? 0, host: '127.0.0.1',
    verifyClient: (info, cb) => {
      const auth = parseBasicAuthHeader(info.req.headers.authorization);
      const poolHeader = info.req.headers['x-mastro-pool'];
      const pool = typeof poolHeader === 'string' ? poolHeader : undefined;
      master.logins.push({ name: auth?.name, password: auth?.password, pool });
      if (opts.pool && pool !== undefined) {
        const echo = { 'X-Mastro-Pool': pool };
        if (pool === opts.pool.name && auth && opts.pool.tokens.includes(auth.password)) cb(true);
        else { master.rejected++; cb(false, 401, 'Unauthorized', echo); }
        return;
      }
      if (auth?.name === opts.name && auth.password === opts.password) cb(true);
      else { master.rejected++; cb(false, 401, 'Unauthorized'); }
    },
  });
  // A master that knows pools echoes the pool on the 101 too.
  wss.on('headers', (headers, req) => { if (opts.pool && typeof req.headers['x-mastro-pool'] === 'string') headers.push(`X-Mastro-Pool: ${req.headers['x-mastro-pool']}`); });
  await once(wss, 'listening');
  const port = (wss.address() as AddressInfo).port;
  const waiters: Array<(c: ProtocolConnection) => void> = [];
  const completionWaiters = new Map<string, (failure: string | null) => void>();
  const sockets = new Set<WebSocket>();
  const master: FakeMaster = {
    port, url: `ws://127.0.0.1:${port}`, connections: [], binaryFrames: [], frameKinds: [], encodingHints: [], logins: [], rejected: 0,
    updates: new Map(), completed: new Map(),
    nextConnection() { return new Promise((resolve) => waiters.push(resolve)); },
    completion(commandId) {
      if (master.completed.has(commandId)) return Promise.resolve(master.completed.get(commandId)!);
      return new Promise((resolve) => completionWaiters.set(commandId, resolve));
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
  wss.on('connection', (ws, req) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const index = master.connections.length;
    ws.once('message', (_d, isBinary) => { master.binaryFrames[index] = isBinary; });
    master.frameKinds[index] = [];
    ws.on('message', (_d, isBinary) => master.frameKinds[index]!.push(isBinary));
    // Like a mastro master: speak the hinted encoding from the first message, msgpack without a hint.
    const hint = req.headers['x-mastro-encoding'];
    master.encodingHints[index] = typeof hint === 'string' ? hint : undefined;
    const conn = new ProtocolConnection(ws, { encoding: hint === 'json' ? 'json' as Encoding : 'msgpack' });
    conn.setHandler('update', (msg) => {
      const id = String(msg.command_id);
      const list = master.updates.get(id) ?? [];
      list.push(...(msg.args as Array<[string, unknown]>));
      master.updates.set(id, list);
      return null;
    });
    conn.setHandler('complete', (msg) => {
      const id = String(msg.command_id);
      master.completed.set(id, (msg.args ?? null) as string | null);
      completionWaiters.get(id)?.(master.completed.get(id)!);
      return null;
    });
    master.connections.push(conn);
    for (const w of waiters.splice(0)) w(conn);
  });
  return master;
}

/** A fake master and a real worker attached to it (in a fresh temp basedir), both stopped after the test. */
export async function attachedWorker(t: { after(fn: () => unknown): void }, extra: Partial<WorkerOptions> = {}): Promise<{ master: FakeMaster; worker: RunningWorker; dir: string }> {
  const dir = tempDir(t);
  const master = await startFakeMaster({ name: 'w1', password: 'pw' });
  const worker = await startWorker({ basedir: dir, master: master.url, name: 'w1', password: 'pw', backoff: { initialMs: 20, maxMs: 200 }, ...extra });
  t.after(async () => { await worker.stop({ graceful: false }); await master.close(); });
  return { master, worker, dir };
}

export function rcOf(master: FakeMaster, commandId: string): unknown {
  return [...(master.updates.get(commandId) ?? [])].reverse().find(([k]) => k === 'rc')?.[1];
}

export function stdoutOf(master: FakeMaster, commandId: string): string {
  return (master.updates.get(commandId) ?? []).filter(([k]) => k === 'stdout').map(([, v]) => (v as [string])[0]).join('');
}
