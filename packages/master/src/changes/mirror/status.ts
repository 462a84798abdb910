/** The observable state of a mirror poller, as plain JSON an API resource can serve as is. */
export interface MirrorRepoStatus {
  name: string;
  /** Upstream URL, credentials removed. */
  url: string;
  /** Epoch seconds of the last poll that completed (with or without error). */
  lastPolledAt: number | null;
  /** Epoch seconds of the last poll that saw a ref move. */
  lastMovedAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  /** Failures in a row; 0 after a good poll. */
  consecutiveFailures: number;
  /** Refs the mirror holds (after the poller's refspecs). */
  refs: number;
}

export interface MirrorCycleStatus {
  /** Epoch seconds. */
  startedAt: number;
  finishedAt: number;
  durationMs: number;
  repositories: number;
  /** Repositories whose refs moved (or were mirrored for the first time). */
  moved: number;
  changes: number;
  hookRuns: number;
  /** Repositories whose poll failed (the cycle went on without them). */
  errors: number;
}

export interface MirrorPollerStatus {
  name: string;
  running: boolean;
  lastCycle: MirrorCycleStatus | null;
  /** Why the last discovery failed (the previous repository list was kept). */
  discoveryError: string | null;
  repositories: MirrorRepoStatus[];
}
