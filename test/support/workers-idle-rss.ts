/**
 * Measures the master's memory per idle attached worker: starts a WorkerManager in this process,
 * attaches N simulated workers from a child process (real sockets, real ProtocolConnections,
 * answering the attach sequence like a Buildbot worker), and reports RSS and heap growth per worker.
 *
 *   node --expose-gc --import tsx test/support/workers-idle-rss.ts [N=10000]
 *
 * The child mode (`--clients N URL`) is internal.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { ProtocolConnection } from 'mastro-protocol';
import { WorkerManager } from '../../packages/master/src/workers/index.js';

const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

async function settle(): Promise<NodeJS.MemoryUsage> {
  for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 200)); }
  return process.memoryUsage();
}

async function runMaster(n: number): Promise<void> {
  const workers = Array.from({ length: n }, (_, i) => ({ name: `w${i}`, password: `pw${i}` }));
  // All N clients connect from 127.0.0.1: room for them past the default per-address cap.
  const manager = new WorkerManager({ port: 0, host: '127.0.0.1', workers, attachTimeoutMs: 600_000, requestTimeoutMs: 600_000, maxConnectionsPerAddress: n + 1000 });
  const { port } = await manager.listen();
  let attached = 0;
  const started = Date.now();
  const allAttached = new Promise<void>((resolve) => manager.on('attached', () => { if (++attached === n) resolve(); }));
  const before = await settle();
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--clients', String(n), `ws://127.0.0.1:${port}`], { stdio: ['ignore', 'inherit', 'inherit'] });
  const progress = setInterval(() => process.stderr.write(`attached ${attached}/${n}\n`), 5000);
  await allAttached;
  clearInterval(progress);
  const attachSeconds = (Date.now() - started) / 1000;
  const after = await settle();
  const report = {
    workers: n,
    attachSeconds,
    rssBeforeMB: Number(mb(before.rss)), rssAfterMB: Number(mb(after.rss)),
    rssPerWorkerKB: Math.round((after.rss - before.rss) / n / 1024 * 10) / 10,
    heapPerWorkerKB: Math.round((after.heapUsed - before.heapUsed) / n / 1024 * 10) / 10,
    externalPerWorkerKB: Math.round((after.external + after.arrayBuffers - before.external - before.arrayBuffers) / n / 1024 * 10) / 10,
  };
  console.log(JSON.stringify(report));
  child.kill('SIGTERM');
  await manager.close();
}

async function runClients(n: number, url: string): Promise<void> {
  const connect = (i: number) => new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Authorization: 'Basic ' + Buffer.from(`w${i}:pw${i}`).toString('base64') } });
    ws.once('error', reject);
    ws.once('open', () => {
      const conn = new ProtocolConnection(ws, { validate: false });
      conn.setHandler('get_worker_info', () => ({ basedir: `/idle/w${i}`, system: 'posix', numcpus: 1, version: 'idle-sim', environ: {} }));
      conn.setHandler('set_worker_settings', () => null);
      conn.setHandler('start_command', (msg) => {
        const id = msg.command_id;
        setImmediate(async () => {
          if (msg.command_name === 'listdir') await conn.request('update', { command_id: id, args: [['files', []]] });
          await conn.request('update', { command_id: id, args: [['rc', 0]] });
          await conn.request('complete', { command_id: id, args: null });
        });
        return null;
      });
      resolve();
    });
  });
  // A bounded number of handshakes in flight keeps the listen backlog from overflowing.
  let next = 0;
  const lane = async () => { while (next < n) { const i = next++; await connect(i).catch(() => connect(i)); } };
  await Promise.all(Array.from({ length: 100 }, lane));
  process.on('SIGTERM', () => process.exit(0));
}

const args = process.argv.slice(2);
if (args[0] === '--clients') await runClients(Number(args[1]), args[2]!);
else await runMaster(Number(args[0] ?? 10_000));
