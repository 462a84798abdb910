/**
 * Fuzzed frames at the master's worker server: random bytes, truncated and oversized frames and
 * wrong-typed messages, in msgpack (binary frames) and JSON (text frames), from an authenticated
 * peer. Every bad frame must be answered with an exception response or a close with a code; the
 * master keeps running and still serves a well-behaved worker afterwards. Seeded, so reproducible.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { pack } from 'msgpackr';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

const MAX_FRAME = 64 * 1024;
const SEED = Number(process.env.MASTRO_FUZZ_SEED ?? 20261121);

function prng(seed: number) {
  const next = seededRandom(seed);
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}

type Outcome = 'exception' | 'close';
interface Case { name: string; data: Buffer | string; binary: boolean; seq: number | null }

const OPS = ['update', 'complete', 'update_upload_file_write', 'update_upload_file_utime', 'update_upload_file_close',
  'update_upload_directory_write', 'update_upload_directory_unpack', 'update_read_file', 'update_read_file_close', 'frobnicate', 'start_command'];

function wrongValue(r: ReturnType<typeof prng>): unknown {
  return r.pick([null, true, -1, 3.25, 'x'.repeat(r.int(40)), [], [1, [2, [3]]], { a: { b: {} } }, Buffer.from([1, 2, 3])]);
}

function makeCase(r: ReturnType<typeof prng>, i: number, binary: boolean): Case {
  const encode = (m: unknown) => (binary ? pack(m) : JSON.stringify(m));
  const seq = 1_000_000 + i;
  switch (r.int(6)) {
    case 0: { // random bytes / random text
      const len = 1 + r.int(300);
      const buf = Buffer.alloc(len);
      for (let k = 0; k < len; k++) buf[k] = r.int(256);
      return { name: 'random', data: binary ? buf : buf.toString('latin1'), binary, seq: null };
    }
    case 1: { // a valid-looking message cut short
      const full = encode({ op: 'update', seq_number: seq, command_id: 'c1', args: [['stdout', ['hello\n', [5], [0]]]] });
      const cut = 1 + r.int(full.length - 1);
      return { name: 'truncated', data: typeof full === 'string' ? full.slice(0, cut) : full.subarray(0, cut), binary, seq: null };
    }
    case 2: { // larger than the frame limit
      const big = encode({ op: 'update', seq_number: seq, command_id: 'c1', args: [['stdout', ['y'.repeat(MAX_FRAME + 100), [], []]]] });
      return { name: 'oversized', data: big, binary, seq: null };
    }
    case 3: { // not a map at the top level
      return { name: 'not-a-map', data: encode(r.pick([[1, 2, 3], 'str', 42, null, true])), binary, seq: null };
    }
    case 4: { // envelope broken: without a usable seq_number there is nobody to answer, so it closes
      if (r.next() < 0.25) return { name: 'wrong-types:no-op', data: encode({ seq_number: seq }), binary, seq };
      return { name: 'bad-envelope', data: encode(r.pick([{ op: 'update' }, { op: 7, seq_number: 'x' }, { op: 'update', seq_number: -3 }])), binary, seq: null };
    }
    default: { // recoverable: good envelope, wrong fields, unknown command ids or unknown ops
      const msg: Record<string, unknown> = { op: r.pick(OPS), seq_number: seq };
      for (const key of ['command_id', 'args', 'length', 'access_time', 'modified_time']) if (r.next() < 0.6) msg[key] = wrongValue(r);
      if (r.next() < 0.3) msg.command_id = 'no-such-command';
      return { name: `wrong-types:${String(msg.op)}`, data: encode(msg), binary, seq };
    }
  }
}

/** One authenticated raw connection; answers nothing the master asks, only reports outcomes. */
function openRaw(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers: { Authorization: 'Basic ' + Buffer.from('fz:pw').toString('base64') }, maxPayload: 64 * 1024 * 1024 });
  return new Promise((resolve, reject) => { ws.once('open', () => resolve(ws)); ws.once('error', reject); });
}

function fire(ws: WebSocket, c: Case): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no answer and no close for ${c.name} frame`)); }, 5000);
    const onMessage = (data: Buffer, isBinary: boolean) => {
      let msg: Record<string, unknown>;
      try { msg = isBinary ? (unpackSafe(data) as Record<string, unknown>) : JSON.parse(data.toString()); } catch { return; }
      if (msg?.op !== 'response' || c.seq === null || msg.seq_number !== c.seq) return; // the master's own requests
      cleanup();
      if (msg.is_exception === true && typeof msg.result === 'string') resolve('exception');
      else reject(new Error(`${c.name} frame got a non-exception answer: ${JSON.stringify(msg.result)}`));
    };
    const onClose = (code: number) => {
      cleanup();
      if (code >= 1000 && code !== 1005 && code !== 1006) resolve('close');
      else reject(new Error(`${c.name} frame: connection dropped without a close code (${code})`));
    };
    const cleanup = () => { clearTimeout(timer); ws.off('message', onMessage); ws.off('close', onClose); };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    ws.send(c.data, { binary: c.binary });
  });
}

let unpackSafe: (b: Buffer) => unknown;

test('fuzzed frames in msgpack and JSON are answered with an exception or a close, and the master keeps serving', { timeout: 300_000 }, async (t) => {
  unpackSafe = (await import('msgpackr')).unpack;
  const h = await startHarness({
    workers: [{ name: 'fz', password: 'pw' }, { name: 'good', password: 'pw' }],
    maxFrameSize: MAX_FRAME, attachTimeoutMs: 600_000, requestTimeoutMs: 600_000, duplicatePingTimeoutMs: 200,
  });
  t.after(() => h.close());
  const r = prng(SEED);
  const outcomes: Record<string, number> = {};
  let ws = await openRaw(h.url);
  ws.on('error', () => {});
  const total = Number(process.env.MASTRO_FUZZ_FRAMES ?? 1200);
  for (let i = 0; i < total; i++) {
    const c = makeCase(r, i, i % 2 === 0);
    if (ws.readyState !== WebSocket.OPEN) { ws = await openRaw(h.url); ws.on('error', () => {}); }
    const outcome = await fire(ws, c);
    const key = `${c.binary ? 'msgpack' : 'json'} ${c.name.split(':')[0]} -> ${outcome}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (c.seq === null) assert.equal(outcome, 'close', `${c.name} frames cannot be answered, so they must close`);
  }
  ws.terminate();
  t.diagnostic(`seed ${SEED}: ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes['msgpack wrong-types -> exception']! > 0 && outcomes['json wrong-types -> exception']! > 0);

  // After all that, a well-behaved worker attaches and runs a command.
  const attached = h.nextAttached('good');
  const fake = await connectFakeWorker({ url: h.url, name: 'good', password: 'pw' });
  t.after(() => fake.close());
  const worker = await attached;
  const result = await worker.startCommand('b', 'shell', { workdir: 'w', command: 'true' }).result;
  assert.equal(result.rc, 0);
});
