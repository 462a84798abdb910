/**
 * One process of the spawn limit (limits.ts): `node spawn-child.mjs COUNT CONCURRENCY` waits for
 * "go" over IPC, then spawns `true` COUNT times with at most CONCURRENCY running, the way the mastro
 * worker starts a shell command (pipes for stdin/stdout/stderr, its own process group, done at
 * 'close'), and answers with its CPU time. Nothing else runs in it, so it is the floor of what a
 * worker process pays per build.
 */
import { spawn } from 'node:child_process';

const [count, concurrency] = process.argv.slice(2).map(Number);

function once() {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdin.end();
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))));
  });
}

process.on('message', async (msg) => {
  if (msg !== 'go') return;
  const cpu0 = process.cpuUsage();
  let next = 0;
  const durations = [];
  const lane = async () => { while (next < count) { next++; const t = performance.now(); await once(); durations.push(performance.now() - t); } };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
    const cpu = process.cpuUsage(cpu0);
    process.send({ done: true, cpuMs: (cpu.user + cpu.system) / 1000, durations }, () => process.exit(0));
  } catch (err) {
    process.send({ error: String(err?.stack ?? err) }, () => process.exit(1));
  }
});
process.send({ ready: true });
