/**
 * An authenticated worker that misbehaves at wire speed (unknown ops with 1 MiB names, responses to
 * requests that were never sent) against a real master process: the master's log stays short, its
 * memory stays bounded, and the connection is closed with the catalog's reason once the peer keeps
 * at it. The master goes on serving: the worker can attach again afterwards.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WebSocket } from 'ws';
import { ErrorCodes, CloseCodes, encodeMessage } from 'mastro-protocol';
import { TestEnv, waitUntil } from './support/master-harness.js';
import { connectFakeWorker } from '../packages/master/test/support/workers-fake-worker.js';

const MiB = 1024 * 1024;

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Sends one frame; false once the connection is no longer open. */
async function sendFrame(ws: WebSocket, frame: Buffer | string): Promise<boolean> {
  if (ws.readyState !== WebSocket.OPEN) return false;
  const ok = await new Promise<boolean>((resolve) => ws.send(frame, { binary: typeof frame !== 'string' }, (err) => resolve(!err)));
  // A write that completes at once calls back before any I/O runs: without a turn of the event loop
  // this client would never read the master's close frame while it floods.
  await new Promise((resolve) => setImmediate(resolve));
  return ok;
}

test('a worker flooding unknown 1 MiB op names and unknown-seq responses gets a bounded log, bounded master memory and a closed connection', { timeout: 300_000 }, async (t) => {
  const env = new TestEnv();
  try {
    env.writeConfig(`import { defineConfig, worker } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
  www: null,
  workers: [worker('w0', 'pass')],
  builders: [],
});
`);
    const master = await env.startMaster();
    const url = `ws://127.0.0.1:${master.ready.workerPort}`;
    const connected = async () => (await master.get(['workers'])).find((w) => w.name === 'w0' && w.connected_to.length > 0);
    const fake = await connectFakeWorker({ url, name: 'w0', password: 'pass' });
    await waitUntil(connected, 'w0 to attach');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      fake.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
    });

    const rssBefore = rssOf(master.proc.pid!);
    const logBefore = master.output.length;
    const linesBefore = master.output.split('\n').length;
    const hugeOp = 'x'.repeat(MiB);
    let sentOps = 0;
    let sentResponses = 0;
    // At most 400 MiB of unknown ops and as many stray responses: a master without limits never closes.
    for (let i = 0; i < 400; i++) {
      if (!(await sendFrame(fake.ws, encodeMessage({ op: hugeOp, seq_number: 1_000_000 + i }, 'msgpack')))) break;
      sentOps++;
      if (!(await sendFrame(fake.ws, encodeMessage({ op: 'response', seq_number: 2_000_000 + i, result: null }, 'msgpack')))) break;
      sentResponses++;
    }
    assert.ok(sentOps < 400, `the master closed the connection before the whole flood was sent (${sentOps} ops of 1 MiB, ${sentResponses} stray responses)`);
    const info = await closed;
    const rssAfter = rssOf(master.proc.pid!);
    // The master's log reaches us through a pipe: wait for its line about the close before counting.
    await waitUntil(() => master.output.includes(ErrorCodes.TOO_MANY_PEER_ERRORS), 'the master to log why it closed the connection');
    const log = master.output.slice(logBefore);
    const lines = master.output.split('\n').length - linesBefore;
    t.diagnostic(JSON.stringify({ sentOps, sentResponses, info, logLines: lines, logBytes: log.length, rssGrowthMiB: Number(((rssAfter - rssBefore) / MiB).toFixed(1)) }));
    assert.equal(info.code, CloseCodes.POLICY_VIOLATION);
    assert.match(info.reason, /^too many protocol errors from the peer \(more than 20 a minute/);
    // 10 warnings (maxWarningsPerMinute), the close and the detach, whatever the flood's length.
    assert.ok(lines < 25, `master log lines during the flood: ${lines}`);
    assert.ok(log.length < 64 * 1024, `master log bytes during the flood: ${log.length}`);
    const growth = rssAfter - rssBefore;
    assert.ok(growth < 64 * MiB, `master RSS grew by ${(growth / MiB).toFixed(1)} MiB`);

    // The master still serves workers: the same worker attaches again.
    await fake.close();
    await waitUntil(async () => !(await connected()), 'w0 to be detached');
    const again = await connectFakeWorker({ url, name: 'w0', password: 'pass' });
    await waitUntil(connected, 'w0 to attach again');
    await again.close();
  } finally {
    await env.cleanup();
  }
});
