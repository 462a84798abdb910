/**
 * Process helpers for scenarios: memory readings from /proc, waiting on conditions without sleeping
 * for luck, and stopping a detached child together with everything it spawned.
 */
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { stopProcessGroup } from '../../test/support/process-tree.js';

export interface MemoryReading { rssKiB: number; hwmKiB: number }

/** VmRSS and VmHWM (peak RSS) of a process, from /proc/PID/status (Linux). */
export function memoryOf(pid: number): MemoryReading {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

/** Sum of VmRSS over a process and its descendants (a worker and the commands it runs). */
export function treeRssKiB(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    try { total += memoryOf(p).rssKiB; } catch { continue; }
    try {
      for (const t of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/)) if (t) stack.push(Number(t));
    } catch { /* gone */ }
  }
  return total;
}

/** Polls `check` every `everyMs` until it returns a value other than undefined/false; throws after `timeoutMs`. */
export async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, what: string, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as T;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** SIGTERM to the child's process group, SIGKILL after `graceMs`. The child must be spawned detached. */
export function stopGroup(child: ChildProcess, graceMs = 10_000): Promise<void> {
  return stopProcessGroup(child, graceMs);
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

/** Node flags for a child: `--cpu-prof` into BENCH_CPU_PROF_DIR when that env variable is set. */
export function profileFlags(tag: string): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  // One directory per tag: Node names the files itself (pid and thread id), so the main thread's
  // profile is not overwritten by the module-loader thread's.
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}/${tag}`] : [];
}

/** CPU time (user + system) a process has used so far, in ms (Linux /proc/PID/stat, clock ticks of 10 ms). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
