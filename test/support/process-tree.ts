/**
 * Whole-tree cleanup for tests. Workers run build commands in process groups of their own (so an
 * interrupt reaches the whole command tree), and a master runs change-source commands; killing only
 * the worker or master with SIGKILL would leave those orphans running after a failed test.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Every live descendant of `pid` (children of all its threads, recursively), deepest last. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop()!;
    let tasks: string[];
    try { tasks = readdirSync(`/proc/${p}/task`); } catch { continue; }
    for (const t of tasks) {
      let kids: string;
      try { kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8'); } catch { continue; }
      for (const k of kids.trim().split(/\s+/)) if (k) { out.push(Number(k)); stack.push(Number(k)); }
    }
  }
  return out;
}

/** SIGKILLs `pid` and everything below it. The tree is read first: once a parent dies its children are re-parented. */
export function killTree(pid: number): void {
  const all = [pid, ...descendants(pid)];
  for (const p of all) { try { process.kill(p, 'SIGKILL'); } catch { /* already gone */ } }
}

/**
 * SIGTERM to the child (so it can shut down cleanly), then SIGKILL to its whole process group if it
 * is still there after `graceMs`; whatever the leader left behind in its group goes too. The child
 * must have been spawned detached (it leads its own group).
 */
export async function stopProcessGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.pid === undefined) return;
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  signalGroup(child.pid, 'SIGTERM');
  const timer = new Promise<'timeout'>((resolve) => setTimeout(resolve, graceMs, 'timeout').unref());
  if (await Promise.race([exited.then(() => 'exited' as const), timer]) === 'timeout') {
    signalGroup(child.pid, 'SIGKILL');
    await exited;
  }
  signalGroup(child.pid, 'SIGKILL');
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pid, signal); } catch { /* group already gone */ }
}

/**
 * True while `pid` runs: it exists and is not a zombie. A killed orphan whose new parent (init, or a
 * container's pid 1 that does not reap) has not reaped it yet is dead, though `kill -0` still finds it.
 */
export function processRunning(pid: number): boolean {
  let stat: string;
  try { stat = readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return false; }
  // The state follows the command name, which is in parentheses and may itself hold spaces.
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

/** Live processes whose command line contains every one of `parts` (Linux /proc), this process excluded. */
export function processesWith(...parts: string[]): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    let argv: string[];
    try { argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0'); } catch { continue; }
    if (parts.every((p) => argv.includes(p))) out.push(Number(name));
  }
  return out;
}
