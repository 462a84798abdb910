/**
 * A scripted worker for tests of the master's worker server: a real `ws` client with HTTP Basic
 * auth and a real ProtocolConnection, answering the attach sequence like a Buildbot worker.
 * Commands are answered by `onCommand` (default: listdir -> no files, everything else -> rc 0).
 * `freeze()` makes it stop answering anything, the way a half-open connection behaves.
 */
import { WebSocket } from 'ws';
import { ProtocolConnection, type Encoding } from 'mastro-protocol';

export interface FakeWorkerOptions {
  url: string;
  name: string;
  password: string;
  encoding?: Encoding;
  /** Send a keepalive right after connecting, as a JSON worker without the upgrade hint does. */
  speakFirst?: boolean;
  /** Extra upgrade headers (e.g. `X-Mastro-Encoding: json`). */
  headers?: Record<string, string>;
  basedir?: string;
  /** Return an error text to refuse a start_command (answered with is_exception). */
  refuseStart?: (command: string) => string | undefined;
  onCommand?: (command: string, args: Record<string, unknown>, ctl: CommandControl) => void | Promise<void>;
  /** Leave `print` unimplemented (answered "does not exist"), as a minimal third-party worker may. */
  withoutPrint?: boolean;
  /** Keys added to (or replacing) the default get_worker_info answer, e.g. `{ os: 'linux', arch: 'x64', tags: ['docker'] }`. */
  info?: Record<string, unknown>;
}

export interface CommandControl {
  update(pairs: [string, unknown][]): Promise<unknown>;
  complete(failure?: string | null): Promise<unknown>;
  request(op: string, fields: Record<string, unknown>): Promise<unknown>;
}

export interface FakeWorker {
  ws: WebSocket;
  conn: ProtocolConnection;
  /** Every start_command received, in order. */
  commands: { command: string; args: Record<string, unknown>; builderName?: unknown }[];
  settings: unknown;
  /** Kinds of the first frames received from the master. */
  frameKinds: ('binary' | 'text')[];
  interrupts: { commandId: unknown; why: unknown }[];
  /** The `message` of every `print` received, in order. */
  prints: unknown[];
  freeze(): void;
  close(): Promise<void>;
}

function basicAuth(name: string, password: string): string {
  return 'Basic ' + Buffer.from(`${name}:${password}`).toString('base64');
}

/** Opens the connection; rejects with the HTTP status when the upgrade is refused. */
export function connectFakeWorker(options: FakeWorkerOptions): Promise<FakeWorker> {
  const ws = new WebSocket(options.url, { headers: { Authorization: basicAuth(options.name, options.password), ...options.headers } });
  // Recorded before the ProtocolConnection exists, so the very first frame is seen.
  const frameKinds: ('binary' | 'text')[] = [];
  ws.on('message', (_data, isBinary) => { if (frameKinds.length < 1000) frameKinds.push(isBinary ? 'binary' : 'text'); });
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      const err = Object.assign(new Error(`upgrade refused with HTTP ${res.statusCode}`), { statusCode: res.statusCode, headers: res.headers });
      res.resume();
      ws.terminate();
      reject(err);
    });
    ws.once('error', reject);
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      resolve(wrap(ws, options, frameKinds));
    });
  });
}

function wrap(ws: WebSocket, options: FakeWorkerOptions, frameKinds: ('binary' | 'text')[]): FakeWorker {
  const conn = new ProtocolConnection(ws, { encoding: options.encoding ?? 'msgpack' });
  let frozen = false;
  const never = new Promise<never>(() => {});
  const fake: FakeWorker = {
    ws, conn, frameKinds, commands: [], settings: undefined, interrupts: [], prints: [],
    freeze() { frozen = true; },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      conn.close(1000, 'test done');
      await conn.closed;
    },
  };
  const guard = <T>(fn: (msg: Record<string, unknown>) => T) => (msg: Record<string, unknown>) => (frozen ? never : fn(msg));
  conn.setHandler('keepalive', guard(() => null));
  if (!options.withoutPrint) conn.setHandler('print', guard((msg) => { fake.prints.push(msg.message); return null; }));
  conn.setHandler('get_worker_info', guard(() => ({
    basedir: options.basedir ?? '/tmp/fake-worker', system: 'posix', numcpus: 1, version: 'fake-1',
    environ: { HOME: '/home/fake' }, admin: 'Test Admin <t@example.org>\n', host: 'fake-host\n',
    worker_commands: { shell: '3.7', stat: '3.7', listdir: '3.7', mkdir: '3.7' },
    ...options.info,
  })));
  conn.setHandler('set_worker_settings', guard((msg) => { fake.settings = msg.args; return null; }));
  conn.setHandler('interrupt_command', guard((msg) => { fake.interrupts.push({ commandId: msg.command_id, why: msg.why }); return null; }));
  conn.setHandler('shutdown', guard(() => null));
  conn.setHandler('start_command', guard((msg) => {
    const command = String(msg.command_name);
    const args = (msg.args ?? {}) as Record<string, unknown>;
    fake.commands.push({ command, args, builderName: msg.builder_name });
    const refusal = options.refuseStart?.(command);
    if (refusal) throw new Error(refusal);
    const ctl: CommandControl = {
      update: (pairs) => conn.request('update', { command_id: msg.command_id, args: pairs }),
      complete: (failure = null) => conn.request('complete', { command_id: msg.command_id, args: failure }),
      request: (op, fields) => conn.request(op, { command_id: msg.command_id, ...fields }),
    };
    const script = options.onCommand ?? defaultCommand;
    // Answer start_command first, then run the script, as a real worker does.
    setImmediate(() => { void Promise.resolve(script(command, args, ctl)).catch(() => {}); });
    return null;
  }));
  if (options.speakFirst) conn.request('keepalive', {}).catch(() => {});
  return fake;
}

export async function defaultCommand(command: string, _args: Record<string, unknown>, ctl: CommandControl): Promise<void> {
  if (command === 'listdir') await ctl.update([['files', []]]);
  await ctl.update([['rc', 0]]);
  await ctl.complete(null);
}
