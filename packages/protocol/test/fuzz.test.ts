/**
 * Fuzzing a live connection: thousands of random, truncated, oversized and wrong-typed frames, in
 * msgpack and JSON, fired over a real loopback socket. Seeded, so a failure reproduces exactly
 * (the seed and frame index are in the assertion message). Every frame must be answered the way the
 * protocol promises — a response, an exception response, or a close with a code — and the process
 * must never crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeMessage, encodeMessage } from '../src/codec.js';
import { ProtocolConnection } from '../src/connection.js';
import { KNOWN_OPS, validateMessage } from '../src/validation.js';
import { errors, masterToWorker, workerToMaster } from '../scripts/vector-cases.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

const SEED = Number(process.env.MASTRO_FUZZ_SEED ?? 0x5eed);
const FRAMES_PER_ENCODING = Number(process.env.MASTRO_FUZZ_FRAMES ?? 2000);
const MAX_FRAME = 64 * 1024;
const ACCEPTED_CLOSE_CODES = new Set([1002, 1003, 1007, 1009]);

const samples = [...masterToWorker, ...workerToMaster, ...errors].flatMap((c) => (c.request ? [c.request] : []));

function makeGenerator(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const randomString = (): string => {
    const len = int(20);
    let s = '';
    for (let i = 0; i < len; i++) s += String.fromCodePoint(pick([int(128), 0x20 + int(0x7f), 0x4e00 + int(500), 0x1f600 + int(50)]));
    return s;
  };
  const randomValue = (depth = 0): unknown => {
    switch (int(depth > 2 ? 7 : 9)) {
      case 0: return null;
      case 1: return rand() < 0.5;
      case 2: return pick([0, -1, 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, 0.5, -1e300, int(1000)]);
      case 3: return randomString();
      case 4: return Buffer.from(Array.from({ length: int(16) }, () => int(256)));
      case 5: return pick(KNOWN_OPS);
      case 6: return String(int(100));
      case 7: return Array.from({ length: int(4) }, () => randomValue(depth + 1));
      default: return Object.fromEntries(Array.from({ length: int(4) }, () => [randomString(), randomValue(depth + 1)]));
    }
  };
  /** A sample message with one field replaced, removed or added. */
  const mutate = (seq: number): Record<string, unknown> => {
    const msg: Record<string, unknown> = structuredClone(pick(samples));
    msg.seq_number = seq;
    const keys = Object.keys(msg);
    const key = pick(keys);
    const r = rand();
    if (r < 0.1) msg.seq_number = randomValue();
    else if (r < 0.2) msg.op = randomValue();
    else if (r < 0.35) delete msg[key === 'seq_number' ? 'op' : key];
    else if (r < 0.5 && msg.args && typeof msg.args === 'object' && !Buffer.isBuffer(msg.args)) {
      const args = msg.args as Record<string, unknown>;
      const argKeys = Object.keys(args);
      if (argKeys.length) args[pick(argKeys)] = randomValue();
    } else if (key !== 'seq_number') msg[key] = randomValue();
    else msg[randomString()] = randomValue();
    return msg;
  };
  const randomBytes = (): Buffer => {
    const bytes = Buffer.from(Array.from({ length: 1 + int(40) }, () => int(256)));
    if (rand() < 0.5) bytes[0] = 0x80 + int(16); // start like a map to get deeper into the decoder
    return bytes;
  };
  return { int, rand, mutate, randomBytes, randomString, randomValue };
}

type Outcome = { kind: 'response'; seq: number } | { kind: 'exception'; seq: number } | { kind: 'close' } | { kind: 'ignored' };

/** What the protocol promises for this frame. */
function expectedOutcome(data: Buffer | string, isBinary: boolean): Outcome {
  const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  if (size > MAX_FRAME) return { kind: 'close' };
  let msg: Record<string, unknown>;
  try { msg = decodeMessage(data, isBinary); } catch { return { kind: 'close' }; }
  const checked = validateMessage(msg);
  const seq = msg.seq_number;
  if (!checked.ok) {
    const recoverable = msg.op !== 'response' && typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0;
    return recoverable ? { kind: 'exception', seq: seq as number } : { kind: 'close' };
  }
  if (msg.op === 'response') return { kind: 'ignored' };
  return KNOWN_OPS.includes(msg.op as never) ? { kind: 'response', seq: seq as number } : { kind: 'exception', seq: seq as number };
}

class FuzzTarget {
  private client: WebSocket | undefined;
  private events: Array<{ kind: 'message'; msg: Record<string, unknown> } | { kind: 'close'; code: number }> = [];
  private wake: (() => void) | undefined;
  connections = 0;
  closes = new Map<number, number>();

  constructor(private readonly wss: WebSocketServer) {
    wss.on('connection', (ws) => {
      const conn = new ProtocolConnection(ws, { maxFrameSize: MAX_FRAME });
      for (const op of KNOWN_OPS) if (op !== 'response') conn.setHandler(op, () => null);
    });
  }

  async socket(): Promise<WebSocket> {
    if (this.client && this.client.readyState === WebSocket.OPEN) return this.client;
    const { port } = this.wss.address() as AddressInfo;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => this.push({ kind: 'message', msg: decodeMessage(data as Buffer, isBinary) }));
    ws.on('close', (code) => this.push({ kind: 'close', code }));
    await once(ws, 'open');
    this.client = ws;
    this.events = [];
    this.connections++;
    return ws;
  }

  private push(e: { kind: 'message'; msg: Record<string, unknown> } | { kind: 'close'; code: number }): void {
    this.events.push(e);
    this.wake?.();
  }

  async next(where: string): Promise<{ kind: 'message'; msg: Record<string, unknown> } | { kind: 'close'; code: number }> {
    const deadline = Date.now() + 5000;
    while (this.events.length === 0) {
      if (Date.now() > deadline) throw new Error(`${where}: no answer and no close within 5 s`);
      await new Promise<void>((resolve) => { this.wake = resolve; setTimeout(resolve, 100); });
      this.wake = undefined;
    }
    return this.events.shift()!;
  }

  /** Sends one frame and a probe; checks the frame's answer arrives first (or the connection closes). */
  async fire(data: Buffer | string, isBinary: boolean, where: string, probeSeq: number): Promise<void> {
    const ws = await this.socket();
    const want = expectedOutcome(data, isBinary);
    ws.send(data, { binary: isBinary });
    ws.send(encodeMessage({ op: 'keepalive', seq_number: probeSeq }, isBinary ? 'msgpack' : 'json'), { binary: isBinary });
    let answered = false;
    for (;;) {
      const ev = await this.next(where);
      if (ev.kind === 'close') {
        assert.ok(ACCEPTED_CLOSE_CODES.has(ev.code), `${where}: closed with unexpected code ${ev.code}`);
        assert.equal(want.kind, 'close', `${where}: expected ${want.kind} but the connection closed (${ev.code})`);
        this.closes.set(ev.code, (this.closes.get(ev.code) ?? 0) + 1);
        this.client = undefined;
        return;
      }
      const { msg } = ev;
      assert.equal(msg.op, 'response', `${where}: got a non-response frame`);
      if (msg.seq_number === probeSeq) {
        assert.ok(want.kind === 'ignored' || answered, `${where}: expected ${want.kind} before the probe's answer`);
        return;
      }
      assert.ok(want.kind === 'response' || want.kind === 'exception', `${where}: unexpected response ${JSON.stringify(msg)}`);
      assert.equal(msg.seq_number, want.seq, `${where}: answer for the wrong seq_number`);
      assert.equal(msg.is_exception === true, want.kind === 'exception', `${where}: expected ${want.kind}, got ${JSON.stringify(msg)}`);
      answered = true;
    }
  }

  close(): void {
    this.client?.terminate();
  }
}

async function fuzz(encoding: 'msgpack' | 'json', seed: number): Promise<FuzzTarget> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const target = new FuzzTarget(wss);
  const gen = makeGenerator(seededRandom(seed));
  const isBinary = encoding === 'msgpack';
  try {
    for (let i = 0; i < FRAMES_PER_ENCODING; i++) {
      const where = `seed ${seed} ${encoding} frame ${i}`;
      const kind = gen.int(10);
      let data: Buffer | string;
      const valid = () => encodeMessage(gen.mutate(i), encoding);
      if (kind < 5) data = valid();
      else if (kind < 7) {
        // Truncated: cut a real frame short.
        const whole = valid();
        const bytes = typeof whole === 'string' ? Buffer.from(whole) : whole;
        const cut = bytes.subarray(0, gen.int(bytes.length));
        data = isBinary ? cut : cut.toString('utf8');
      } else if (kind < 9) {
        data = isBinary ? gen.randomBytes() : (gen.rand() < 0.5 ? gen.randomString() : JSON.stringify(gen.randomValue()));
      } else {
        // Oversized (occasionally) or a big but acceptable frame.
        const size = gen.rand() < 0.5 ? MAX_FRAME + 1 + gen.int(1000) : MAX_FRAME - 200;
        data = encodeMessage({ op: 'print', seq_number: i, message: 'x'.repeat(size) }, encoding);
      }
      await target.fire(data, isBinary, where, 1_000_000 + i);
    }
  } finally {
    target.close();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }
  return target;
}

test(`fuzzed msgpack frames are each answered or close the connection with a code, never crashing (seed ${SEED})`, async () => {
  const target = await fuzz('msgpack', SEED);
  assert.ok(target.connections > 1, 'some frames closed the connection');
  assert.ok(target.closes.get(1003)! > 0 && target.closes.get(1009)! > 0, `close codes seen: ${JSON.stringify([...target.closes])}`);
});

test(`fuzzed JSON frames are each answered or close the connection with a code, never crashing (seed ${SEED + 1})`, async () => {
  const target = await fuzz('json', SEED + 1);
  assert.ok(target.connections > 1, 'some frames closed the connection');
  assert.ok(target.closes.get(1003)! > 0, `close codes seen: ${JSON.stringify([...target.closes])}`);
});
