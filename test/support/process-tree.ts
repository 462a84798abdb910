/**
 * Whole-tree cleanup for tests. Workers run build commands in process groups of their own (so an
 * interrupt reaches the whole command tree), and a master runs change-source commands; killing only
 * the worker or master with SIGKILL would leave those orphans running after a failed test.
 */
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
