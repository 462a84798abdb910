/**
 * The log limit (limits.ts): `node pipe-zlib-child.mjs LINES CHUNK LEVEL` runs the log scenario's
 * own command (`yes LINE | head -n LINES`, 100-byte lines), reads its stdout through a pipe and
 * deflates it in CHUNK-byte pieces at zlib LEVEL in libuv's pool, two at a time — what the master's
 * log writer does to the same bytes, without the protocol, the worker or the database. Answers over
 * IPC with the byte count, the wall time and its own CPU time.
 */
import { spawn } from 'node:child_process';
import { deflate } from 'node:zlib';
import { promisify } from 'node:util';

const deflateAsync = promisify(deflate);
const [lines, chunkSize, level] = process.argv.slice(2).map(Number);
const LINE = 'mastro-bench-log-line-'.padEnd(99, 'x');

process.on('message', async (msg) => {
  if (msg !== 'go') return;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const child = spawn('sh', ['-c', `yes ${LINE} | head -n ${lines}`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let bytes = 0;
  let stored = 0;
  let held = [];
  let heldBytes = 0;
  const inFlight = new Set();
  const flush = async () => {
    const piece = Buffer.concat(held);
    held = []; heldBytes = 0;
    const p = deflateAsync(piece, { level }).then((z) => { stored += z.length; });
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
    // Two pieces compressing at once, as the master's LogCompressor allows.
    if (inFlight.size >= 2) { child.stdout.pause(); await Promise.race(inFlight); child.stdout.resume(); }
  };
  child.stdout.on('data', (b) => {
    bytes += b.length;
    held.push(b); heldBytes += b.length;
    if (heldBytes >= chunkSize) void flush();
  });
  await new Promise((resolve, reject) => { child.on('close', resolve); child.on('error', reject); });
  if (heldBytes) await flush();
  await Promise.all(inFlight);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  process.send({ bytes, stored, ms, cpuMs: (cpu.user + cpu.system) / 1000 }, () => process.exit(0));
});
process.send({ ready: true });
