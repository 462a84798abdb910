/**
 * Same-run physical limits. A figure measured on a shared machine says little alone (the host runs
 * at a third of its speed one day and at full speed the next); the same figure as a fraction of
 * what the bare machine does with the same work, measured in the same run, holds. Each limit runs
 * in child processes of its own, like the master and the workers it stands for:
 *  - spawnLimit: `true` spawned from P processes, C at a time each (scenario 1: 2 workers x maxBuilds 4);
 *  - spawnCost: one spawn of `true` at a time, its median duration (scenario 3's latency floor);
 *  - pipeZlibLimit: the log command's bytes through a pipe and zlib, as the master stores them (scenario 4);
 *  - wsEchoLimit: the same number of WebSocket messages echoed over the same number of connections (scenario 2).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { WebSocket } from 'ws';
import { mapLimit } from './proc.js';
import { median } from '../stats.js';

const here = (f: string) => new URL(`./limits/${f}`, import.meta.url).pathname;

function forkChild(file: string, args: string[]): ChildProcess {
  return fork(here(file), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
}

function nextMessage<T>(child: ChildProcess, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${what}: the child exited (${code}) before answering`));
    child.once('exit', onExit);
    child.once('message', (m: any) => {
      child.off('exit', onExit);
      if (m?.error) reject(new Error(`${what}: ${m.error}`)); else resolve(m as T);
    });
  });
}

export interface SpawnLimit { perSecond: number; cpuMsPerSpawn: number; medianSpawnMs: number; spawns: number; processes: number; concurrency: number }

/** `count` spawns of `true` split over `processes` processes, `concurrency` at a time in each; timed from "go" to the last exit. */
export async function spawnLimit(o: { processes: number; concurrency: number; count: number }): Promise<SpawnLimit> {
  const per = Math.ceil(o.count / o.processes);
  const children = Array.from({ length: o.processes }, () => forkChild('spawn-child.mjs', [String(per), String(o.concurrency)]));
  try {
    await Promise.all(children.map((c) => nextMessage(c, 'spawn limit')));
    const t0 = performance.now();
    const done = children.map((c) => nextMessage<{ cpuMs: number; durations: number[] }>(c, 'spawn limit'));
    for (const c of children) c.send('go');
    const results = await Promise.all(done);
    const seconds = (performance.now() - t0) / 1000;
    const spawns = per * o.processes;
    return {
      perSecond: spawns / seconds, cpuMsPerSpawn: results.reduce((a, r) => a + r.cpuMs, 0) / spawns,
      medianSpawnMs: median(results.flatMap((r) => r.durations))!, spawns, processes: o.processes, concurrency: o.concurrency,
    };
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  }
}

/** Median duration of one spawn of `true` (spawn -> 'close'), one at a time. */
export async function spawnCost(count: number): Promise<number> {
  return (await spawnLimit({ processes: 1, concurrency: 1, count })).medianSpawnMs;
}

export interface PipeZlibLimit { mbPerSecond: number; cpuMsPerMB: number; bytes: number }

/** `lines` 100-byte lines of `yes | head` through a pipe and zlib (level and piece size as the master's log writer). */
export async function pipeZlibLimit(lines: number, o: { chunkSize?: number; level?: number } = {}): Promise<PipeZlibLimit> {
  // The master's LOG_DEFAULTS (data/log-writer.ts): 256 KiB chunks, zlib level 1.
  const child = forkChild('pipe-zlib-child.mjs', [String(lines), String(o.chunkSize ?? 256 * 1024), String(o.level ?? 1)]);
  try {
    await nextMessage(child, 'pipe + zlib limit');
    const done = nextMessage<{ bytes: number; ms: number; cpuMs: number }>(child, 'pipe + zlib limit');
    child.send('go');
    const r = await done;
    const mb = r.bytes / 1e6;
    return { mbPerSecond: mb / (r.ms / 1000), cpuMsPerMB: r.cpuMs / mb, bytes: r.bytes };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export interface WsEchoLimit { messagesPerSecond: number; serverCpuMsPerMessage: number; messages: number; connections: number; concurrency: number }

/**
 * `messages` WebSocket messages (each direction counts one: a round trip is two) of `size` bytes
 * over `connections` connections to an echo server in a child process, `concurrency` round trips
 * in flight; the client side runs in the bench process, as the simulated workers do.
 */
export async function wsEchoLimit(o: { messages: number; connections: number; concurrency: number; size: number }): Promise<WsEchoLimit> {
  const child = forkChild('ws-echo-child.mjs', []);
  const sockets: WebSocket[] = [];
  try {
    const { port } = await nextMessage<{ port: number }>(child, 'WebSocket echo limit');
    await mapLimit(Array.from({ length: o.connections }), 64, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
      sockets.push(ws);
      await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
    });
    // One listener per socket hands each echo to the oldest waiter (a socket may carry two lanes' round trips).
    const waiters = sockets.map((ws) => {
      const q: Array<() => void> = [];
      ws.on('message', () => q.shift()?.());
      return q;
    });
    const payload = Buffer.alloc(o.size, 0x61);
    const roundTrips = Math.ceil(o.messages / 2);
    const cpu0 = await askCpu(child);
    const t0 = performance.now();
    let next = 0;
    // Lane i uses connections i, i + concurrency, ...: every connection carries traffic, as every simulated worker does.
    await Promise.all(Array.from({ length: Math.min(o.concurrency, roundTrips) }, async (_, lane) => {
      for (let k = 0; next < roundTrips; k++) {
        next++;
        const i = (lane + k * o.concurrency) % sockets.length;
        await new Promise<void>((resolve) => { waiters[i]!.push(resolve); sockets[i]!.send(payload, { binary: true }); });
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = await askCpu(child);
    return { messagesPerSecond: (roundTrips * 2) / seconds, serverCpuMsPerMessage: (cpu1 - cpu0) / (roundTrips * 2), messages: roundTrips * 2, connections: o.connections, concurrency: o.concurrency };
  } finally {
    for (const ws of sockets) ws.terminate();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function askCpu(child: ChildProcess): Promise<number> {
  const r = nextMessage<{ cpuMs: number }>(child, 'WebSocket echo limit');
  child.send('cpu');
  return (await r).cpuMs;
}
