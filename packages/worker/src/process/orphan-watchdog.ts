/**
 * Ends a worker's commands when the worker dies, however it dies (SIGKILL, OOM killer, a crash).
 * Commands run in process groups of their own (so an interrupt reaches every descendant), which also
 * means nothing ends them when the worker is gone: they were re-parented to init and kept writing
 * into build directories while the restarted worker ran the retries there.
 *
 * The watchdog is one small `/bin/sh` process per worker, in a process group of its own (a Ctrl-C
 * or a signal to the worker's group does not take it along before it did its job). The worker tells
 * it each command's process group on its stdin (`+PGID` when it starts, `-PGID` when it ended); the
 * kernel closes that pipe when the worker exits, and at end-of-file the watchdog sends SIGTERM to
 * every group still listed, and SIGKILL to those still there after the grace period. A POSIX shell
 * keeps it to about a megabyte and works the same on Linux and macOS. A worker that stops normally
 * closes the pipe itself; with no command running the watchdog just exits.
 *
 * Not on Windows (no process groups; job objects would be the tool and are not used): there a
 * killed worker's commands run on until they end.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'mastro-protocol';

/**
 * `$1` is the grace in whole seconds. Groups are kept as " 12 34 " so removing one is a pattern
 * match (no fork per message). `read` fails at end-of-file: the worker is gone.
 */
const WATCHDOG_SCRIPT = `
trap '' INT HUP
grace=$1
groups=' '
while IFS= read -r line; do
  case $line in
    +[0-9]*) groups="$groups\${line#+} " ;;
    -[0-9]*) g=\${line#-}; case $groups in *" $g "*) groups="\${groups%% $g *} \${groups#* $g }" ;; esac ;;
  esac
done
[ -z "\${groups# }" ] && exit 0
for g in $groups; do kill -s TERM -- "-$g" 2>/dev/null; done
i=0
while [ "$i" -lt "$grace" ]; do
  alive=
  for g in $groups; do kill -s 0 -- "-$g" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && exit 0
  sleep 1
  i=$((i + 1))
done
for g in $groups; do kill -s KILL -- "-$g" 2>/dev/null; done
`;

/** How often a watchdog that died while the worker runs is replaced before the worker gives up on it. */
const MAX_RESPAWNS = 3;

export class OrphanWatchdog {
  private child: ChildProcess | null = null;
  private readonly groups = new Set<number>();
  private closed = false;
  private respawns = 0;

  constructor(private readonly graceMs: number, private readonly log: Logger, private readonly shell = '/bin/sh') {
    this.spawn();
  }

  /** The pid of the watchdog process (for tests and diagnostics). */
  get pid(): number | undefined { return this.child?.pid; }

  add(pgid: number): void {
    this.groups.add(pgid);
    this.send(`+${pgid}`);
  }

  remove(pgid: number): void {
    if (this.groups.delete(pgid)) this.send(`-${pgid}`);
  }

  /** The worker stops: the watchdog ends the groups still listed (none after a graceful stop) and exits. */
  close(): void {
    this.closed = true;
    this.child?.stdin?.end();
  }

  private send(line: string): void {
    const stdin = this.child?.stdin;
    if (stdin?.writable) stdin.write(`${line}\n`);
  }

  private spawn(): void {
    const grace = String(Math.max(1, Math.ceil(this.graceMs / 1000)));
    const child = spawn(this.shell, ['-c', WATCHDOG_SCRIPT, 'mastro-worker-watchdog', grace], {
      // stdout/stderr not inherited: a watchdog outliving the worker must not hold its log pipe open.
      stdio: ['pipe', 'ignore', 'ignore'], detached: true,
    });
    this.child = child;
    child.stdin!.on('error', () => undefined); // EPIPE when it died; its exit handler takes over
    child.on('error', (err) => {
      this.log.error(`cannot start the watchdog that ends commands if the worker dies (${this.shell}: ${err.message}); ` +
        'commands of a killed worker will keep running until it is restarted');
      this.closed = true;
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      if (this.closed) return;
      if (this.respawns >= MAX_RESPAWNS) {
        this.log.error(`the command watchdog died again (${signal ?? `exit ${code}`}); not replacing it: commands of a killed worker will keep running until it is restarted`);
        return;
      }
      this.respawns++;
      this.log.warn(`the command watchdog died (${signal ?? `exit ${code}`}); starting a new one`);
      this.spawn();
      for (const pgid of this.groups) this.send(`+${pgid}`);
    });
    // Neither the process nor its pipe keeps the worker's event loop alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void }).unref?.();
  }
}
