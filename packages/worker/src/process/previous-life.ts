/**
 * At start-up, before the worker attaches: ends the commands a previous worker in this basedir left
 * running (it was killed, and its watchdog too or is still in its grace period), so a retry never
 * shares its build directory with the command it retries.
 *
 * A group is only signalled when it is certainly that worker's: its leader runs with the start time
 * recorded in `command-groups`, or the leader is gone and members of the group remain (the system
 * does not give a process group's id to a new process while the group has members, so they are the
 * old command's). A leader pid now held by another program is left alone.
 */
import { processStartTime } from 'mastro-protocol/process-identity';
import type { Logger } from 'mastro-protocol';
import { readCommandGroups } from './command-groups-file.js';
import { groupRunning } from './kill-tree.js';

/** After SIGKILL, how long to wait for the groups to vanish before reporting them. */
const AFTER_KILL_WAIT_MS = 5000;
const POLL_MS = 100;

/** The groups of `recorded` that are certainly the previous worker's and still have members. */
export function leftoverGroups(recorded: Map<number, string>): number[] {
  const out: number[] = [];
  for (const [pgid, token] of recorded) {
    const leader = processStartTime(pgid);
    // A running leader must be the recorded process; unknown on either side cannot prove it.
    if (typeof leader === 'string' && (token === '?' || leader !== token)) continue;
    if (groupRunning(pgid)) out.push(pgid);
  }
  return out;
}

/** To the group only: unlike `signalTree`, never falls back to a pid that may since be another program's. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try { process.kill(-pgid, signal); } catch { /* the group ended meanwhile */ }
}

async function waitGone(groups: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = groups.filter((g) => groupRunning(g));
  while (alive.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    alive = alive.filter((g) => groupRunning(g));
  }
  return alive;
}

/**
 * Ends the previous life's leftovers: SIGTERM, SIGKILL after `graceMs`. Resolves with the groups
 * that survived even SIGKILL (a process stuck in the kernel), which the caller reports.
 */
export async function endPreviousLife(basedir: string, graceMs: number, log: Logger): Promise<number[]> {
  const { owner, groups: recorded } = readCommandGroups(basedir);
  if (owner && owner.pid !== process.pid && processStartTime(owner.pid) === owner.start) {
    log.warn(`another worker (pid ${owner.pid}) still runs in ${basedir}; leaving its commands alone (one worker per basedir: stop it first)`);
    return [];
  }
  const groups = leftoverGroups(recorded);
  if (!groups.length) return [];
  log.info(`commands of the previous worker in ${basedir} still run (process groups ${groups.join(', ')}); ending them before attaching`);
  for (const g of groups) signalGroup(g, 'SIGTERM');
  let alive = await waitGone(groups, graceMs);
  if (alive.length) {
    log.warn(`process groups ${alive.join(', ')} did not end within ${graceMs} ms of SIGTERM; sending SIGKILL`);
    for (const g of alive) signalGroup(g, 'SIGKILL');
    alive = await waitGone(alive, AFTER_KILL_WAIT_MS);
  }
  if (alive.length) {
    log.error(`process groups ${alive.join(', ')} of the previous worker survived SIGKILL (stuck in the kernel?); ` +
      'they may still write into build directories: check them with ps -o pid,pgid,stat,args');
  }
  return alive;
}
