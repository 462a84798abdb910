/**
 * Signalling a command's whole process tree. On POSIX the command is spawned as the leader of its
 * own process group, so one `kill(-pgid)` reaches every descendant that did not leave the group.
 * On Windows `taskkill /T` walks the tree (`/F` forces).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export type TreeSignal = 'TERM' | 'KILL' | 'INT' | 'HUP' | 'QUIT' | 'USR1' | 'USR2';

/** How a tree is signalled: a program to run (Windows' taskkill) or a signal to a process group (POSIX). */
export type KillPlan =
  | { kind: 'run'; file: string; args: string[] }
  | { kind: 'signal-group'; pgid: number; signal: NodeJS.Signals };

/**
 * The plan for sending `signal` to the tree led by `pid`. On Windows there are no signals:
 * `taskkill /PID n /T` asks every process of the tree to close, and KILL adds `/F` to force it
 * (so an interrupt's TERM, then KILL after the grace period, behaves as on POSIX).
 */
export function killPlan(pid: number, signal: TreeSignal, platform: NodeJS.Platform): KillPlan {
  if (platform === 'win32') {
    return { kind: 'run', file: 'taskkill', args: [...(signal === 'KILL' ? ['/F'] : []), '/PID', String(pid), '/T'] };
  }
  return { kind: 'signal-group', pgid: pid, signal: `SIG${signal}` };
}

/** Sends the signal to the group led by `pid`; returns false when no such process (group) exists. */
export function signalTree(pid: number, signal: TreeSignal, platform: NodeJS.Platform = process.platform): boolean {
  const plan = killPlan(pid, signal, platform);
  if (plan.kind === 'run') {
    // taskkill exits 128 when the process is already gone; nothing to do about it either way.
    spawn(plan.file, plan.args, { stdio: 'ignore', windowsHide: true }).on('error', () => undefined);
    return true;
  }
  // The leader may have left its group (or never led one): then signal it alone.
  try { process.kill(-plan.pgid, plan.signal); return true; } catch {
    try { process.kill(plan.pgid, plan.signal); return true; } catch { return false; }
  }
}

/** True while any process of the group led by `pid` is alive (POSIX); on Windows the leader only. */
export function treeAlive(pid: number, platform: NodeJS.Platform = process.platform): boolean {
  try { process.kill(platform === 'win32' ? pid : -pid, 0); return true; } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True while a process of group `pgid` runs (POSIX). Unlike `treeAlive` it does not count zombies on
 * Linux: killed orphans stay zombies until init reaps them, and in a container whose pid 1 does not
 * reap they stay for good, though nothing of them runs. Elsewhere it is `treeAlive`.
 */
export function groupRunning(pgid: number, platform: NodeJS.Platform = process.platform): boolean {
  if (platform !== 'linux') return treeAlive(pgid, platform);
  if (!treeAlive(pgid, platform)) return false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try { stat = readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; }
    // After the parenthesised command name: state, ppid, pgrp.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z' && state !== 'X') return true;
  }
  return false;
}
