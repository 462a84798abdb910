/**
 * Per-worker options of the config on a real in-process master (master.ts): `keepalive` reaches the
 * worker's connection, `missingTimeout` reports a worker that stays away, and `notifyOnMissing`,
 * which needs a reporter that sends it, is named in a startup warning when none does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Master } from '../src/master.js';
import { MissingWorkerWatch } from '../src/process/missing-workers.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';

/** A master on loopback (worker port 0, no www) whose log lines are kept for assertions. */
async function startMaster(t: { after(fn: () => Promise<void> | void): void }, workersYaml: string, extraYaml = '') {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-h33-'));
  writeFileSync(join(dir, 'master.config.yaml'), `db: { url: 'sqlite:state.sqlite' }
protocols: { msgpack: { port: 0, host: 127.0.0.1, keepaliveIntervalMs: 600000 } }
www: { port: 0, host: 127.0.0.1 }
workers: ${workersYaml}
${extraYaml}`);
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({ write(chunk, _enc, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  const master = await Master.start(dir, { logger: pino({ level: 'info' }, sink), readyFile: false });
  t.after(async () => { await master.stop({ graceMs: 0 }); rmSync(dir, { recursive: true, force: true }); });
  return { master, lines, url: `ws://127.0.0.1:${master.workerPort}` };
}

test("a worker's keepalive from the config sets its keepalive interval (the server's default is far longer)", async (t) => {
  const { url } = await startMaster(t, '[{ name: w0, password: p, keepalive: 1 }]');
  const fake = await connectFakeWorker({ url, name: 'w0', password: 'p' });
  t.after(() => fake.close());
  const pings: number[] = [];
  let twoPings!: () => void;
  const gotTwo = new Promise<void>((r) => { twoPings = r; });
  fake.conn.setHandler('keepalive', () => { pings.push(Date.now()); if (pings.length === 2) twoPings(); return null; });
  let timer!: NodeJS.Timeout;
  const tooLate = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('no two keepalives within 15 s: the per-worker keepalive (1 s) was not applied')), 15_000); });
  try {
    await Promise.race([gotTwo, tooLate]);
  } finally { clearTimeout(timer); }
  assert.ok(pings[1]! - pings[0]! < 5000, `keepalives ${pings[1]! - pings[0]!} ms apart`);
});

test('notifyOnMissing is named in a startup warning when no reporter sends it; a worker without it gets none', async (t) => {
  const { lines } = await startMaster(t, "[{ name: w0, password: p, notifyOnMissing: ['ops@example.com'] }, { name: w1, password: p }]");
  const warnings = lines.filter((l) => l.level === 40 && l.path === 'notifyOnMissing');
  assert.deepEqual(warnings.map((l) => l.worker), ['w0']);
  assert.match(String(warnings[0]!.msg), /worker 'w0': notifyOnMissing has no reporter to send it; add reporters\.mailNotifier/);
});

test('with a reporter that sends missing workers (mailNotifier by default), notifyOnMissing gets no warning', async (t) => {
  const { lines } = await startMaster(t, "[{ name: w0, password: p, notifyOnMissing: ['ops@example.com'] }]", 'reporters: [{ mailNotifier: { fromaddr: ci@example.org } }]\n');
  assert.deepEqual(lines.filter((l) => l.level === 40 && l.path === 'notifyOnMissing'), []);
  assert.ok(lines.some((l) => /reporter mailNotifier started/.test(String(l.msg))));
});

test('a configured worker that stays disconnected past its missingTimeout is logged as missing once; one that attaches is not', async (t) => {
  // 'here' gets 3 s to attach (a loaded machine can take over 1 s to connect); it is checked once 'gone' is
  // reported and 'here' has been attached for its whole timeout.
  const { lines, url } = await startMaster(t, '[{ name: gone, password: p, missingTimeout: 1 }, { name: here, password: p, missingTimeout: 3 }]');
  const startedAt = Date.now();
  const fake = await connectFakeWorker({ url, name: 'here', password: 'p' });
  t.after(() => fake.close());
  const deadline = Date.now() + 15_000;
  while (!lines.some((l) => l.worker === 'gone' && /missing/.test(String(l.msg))) || Date.now() - startedAt < 3500) {
    if (Date.now() > deadline) throw new Error('the missing worker was not reported within 15 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(lines.filter((l) => l.worker === 'here' && /has been missing/.test(String(l.msg))).length, 0);
  assert.equal(lines.filter((l) => l.worker === 'gone' && /has been missing/.test(String(l.msg))).length, 1);
});

test('the missing timer restarts on each disconnection, stops on attach, and 0 disables it', () => {
  const fired: string[] = [];
  const watch = new MissingWorkerWatch({ trace() {}, info() {}, warn() {}, error() {}, debug() {} }, (name) => fired.push(name));
  try {
    watch.configure([{ name: 'a', missingTimeout: 60 }, { name: 'off', missingTimeout: 0 }]);
    assert.deepEqual(watch.watching(), ['a']);
    watch.attached('a');
    assert.deepEqual(watch.watching(), []);
    watch.detached('a');
    assert.deepEqual(watch.watching(), ['a']);
    watch.configure([{ name: 'off', missingTimeout: 0 }]);
    assert.deepEqual(watch.watching(), [], 'a worker removed from the config is no longer watched');
    assert.deepEqual(fired, []);
  } finally { watch.close(); }
});
