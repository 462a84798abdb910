/**
 * Keeps a worker's commands from outliving it: at start-up it ends what a previous worker in the
 * basedir left running (`previous-life.ts`), then every command's process group is told to the
 * watchdog (which ends them if the worker dies, `orphan-watchdog.ts`) and written to
 * `command-groups` (so the next worker can end them if the watchdog could not,
 * `command-groups-file.ts`). On Windows it does nothing (see orphan-watchdog.ts).
 */
import { processStartTime } from 'mastro-protocol/process-identity';
import type { Logger } from 'mastro-protocol';
import { CommandGroupsFile } from './command-groups-file.js';
import { OrphanWatchdog } from './orphan-watchdog.js';
import { endPreviousLife } from './previous-life.js';

/** Where RunProcess reports the process group of each command it starts, and its end. */
export interface ProcessGroupTracker {
  started(pgid: number): void;
  ended(pgid: number): void;
}

export interface OrphanGuard extends ProcessGroupTracker {
  /** The worker stops: groups still running are ended by the watchdog. */
  close(): void;
}

export interface OrphanGuardOptions {
  basedir: string;
  /** SIGTERM-to-SIGKILL grace, ms (the worker's killGraceMs). */
  graceMs: number;
  log: Logger;
  platform?: NodeJS.Platform;
}

export async function startOrphanGuard(o: OrphanGuardOptions): Promise<OrphanGuard> {
  if ((o.platform ?? process.platform) === 'win32') return { started() {}, ended() {}, close() {} };
  await endPreviousLife(o.basedir, o.graceMs, o.log);
  const file = new CommandGroupsFile(o.basedir, processStartTime(process.pid));
  const watchdog = new OrphanWatchdog(o.graceMs, o.log);
  let closed = false;
  return {
    started(pgid) {
      if (closed) return;
      watchdog.add(pgid);
      file.add(pgid, processStartTime(pgid));
    },
    ended(pgid) {
      if (closed) return;
      watchdog.remove(pgid);
      file.remove(pgid);
    },
    close() {
      if (closed) return;
      closed = true;
      watchdog.close();
      file.close();
    },
  };
}
