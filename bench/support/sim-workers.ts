/**
 * Protocol-level simulated workers: a real WebSocket with HTTP Basic auth and a real
 * ProtocolConnection per worker, answering the attach sequence like a Buildbot worker and every
 * command at once (`update` rc 0, then `complete`) without spawning anything. They measure the
 * master, not process creation.
 */
import { WebSocket } from 'ws';
import { POOL_HEADER, ProtocolConnection, basicAuthHeader } from 'mastro-protocol';
import { mapLimit } from './proc.js';

export interface SimWorkerOptions {
  url: string;
  names: string[];
  password: string;
  /** Connections opened at once while attaching. Default 200. */
  connectConcurrency?: number;
  /** Source addresses to spread connections over (ephemeral ports are per source address). Default: the kernel's choice. */
  localAddresses?: string[];
  /** Join this pool (PROTOCOL.md §1.1): `password` is then the pool's token. */
  pool?: string;
  /** Keys added to the get_worker_info answer (e.g. `{ os: 'linux', arch: 'x64' }` for tag selection). */
  info?: Record<string, unknown>;
}

export interface SimWorkers {
  readonly commands: number;
  /** WebSocket messages sent and received by all simulated workers so far, and their bytes (the WebSocket limit's inputs). */
  readonly frames: { messages: number; bytes: number };
  close(): Promise<void>;
}

export async function startSimWorkers(o: SimWorkerOptions): Promise<SimWorkers> {
  const conns: ProtocolConnection[] = [];
  const sockets: WebSocket[] = [];
  const state = { commands: 0 };
  const frames = { messages: 0, bytes: 0 };
  await mapLimit(o.names, o.connectConcurrency ?? 200, async (name, i) => {
    const localAddress = o.localAddresses?.length ? o.localAddresses[i % o.localAddresses.length] : undefined;
    const headers = { Authorization: basicAuthHeader(name, o.password), ...(o.pool ? { [POOL_HEADER]: o.pool } : {}) };
    const ws = new WebSocket(o.url, { headers, perMessageDeflate: false, localAddress });
    sockets.push(ws);
    countFrames(ws, frames);
    await new Promise<void>((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => { res.resume(); reject(new Error(`worker ${name}: upgrade refused with HTTP ${res.statusCode}`)); });
      ws.once('error', reject);
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => {});
        // Synchronously: the master's first request can arrive in the same read as the upgrade answer.
        conns.push(answer(new ProtocolConnection(ws, { validate: false }), name, state, o.info));
        resolve();
      });
    });
  });
  return {
    get commands() { return state.commands; },
    get frames() { return { ...frames }; },
    async close() {
      await Promise.all(conns.map(async (c) => { c.close(1000, 'bench done'); await c.closed; }));
      for (const ws of sockets) ws.terminate();
    },
  };
}

/** Counts the messages a socket receives and sends (ProtocolConnection sends through ws.send). */
function countFrames(ws: WebSocket, frames: { messages: number; bytes: number }): void {
  ws.on('message', (data: Buffer) => { frames.messages++; frames.bytes += data.length; });
  const send = ws.send.bind(ws) as (...args: any[]) => void;
  (ws as any).send = (data: Buffer | string, ...rest: any[]) => {
    frames.messages++;
    frames.bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    send(data, ...rest);
  };
}

function answer(conn: ProtocolConnection, name: string, state: { commands: number }, info: Record<string, unknown> = {}): ProtocolConnection {
  conn.setHandler('keepalive', () => null);
  conn.setHandler('print', () => null);
  conn.setHandler('set_worker_settings', () => null);
  conn.setHandler('interrupt_command', () => null);
  conn.setHandler('shutdown', () => null);
  conn.setHandler('get_worker_info', () => ({
    basedir: `/nonexistent/sim/${name}`, system: 'posix', numcpus: 1, version: 'bench-sim-1',
    environ: {}, admin: 'bench\n', host: 'sim\n',
    worker_commands: { shell: '3.7', stat: '3.7', listdir: '3.7', mkdir: '3.7', rmdir: '3.7' },
    ...info,
  }));
  conn.setHandler('start_command', (msg) => {
    state.commands++;
    const command_id = msg.command_id;
    const pairs: [string, unknown][] = msg.command_name === 'listdir' ? [['files', []], ['rc', 0]] : [['rc', 0]];
    // Answer start_command first, then report, as a real worker does.
    setImmediate(() => {
      conn.request('update', { command_id, args: pairs })
        .then(() => conn.request('complete', { command_id, args: null }))
        .catch(() => { /* master went away: the scenario reports that */ });
    });
    return null;
  });
  return conn;
}
