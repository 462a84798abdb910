/**
 * `BASEDIR/command-groups`: the process groups of the commands a worker runs, kept on disk so the
 * next worker started in that directory can end what its previous life left running (a worker
 * killed with SIGKILL whose watchdog was killed too, or is still in its grace period) before it
 * attaches and runs a retry in the same build directories.
 *
 * One line per event, appended: `+ PGID START` when a command started (START tells that process
 * from a later one given the same pid, see `processStartTime`; `?` when unknown) and `- PGID` when
 * it ended. The file is emptied whenever no command runs and rewritten when it grows long, so it
 * stays a few lines.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, ftruncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export const COMMAND_GROUPS_FILE = 'command-groups';

/** Lines appended before the file is rewritten with only the running groups. */
const COMPACT_AFTER_LINES = 1000;

/** The groups a file lists as running: pgid -> start token ('?' when it was not known). */
export function readCommandGroups(basedir: string): Map<number, string> {
  const file = path.join(basedir, COMMAND_GROUPS_FILE);
  const groups = new Map<number, string>();
  if (!existsSync(file)) return groups;
  // The last piece has no newline: empty, or a line the dying worker cut short ("+ 12" of "+ 1234 ..."), ignored.
  for (const line of readFileSync(file, 'utf8').split('\n').slice(0, -1)) {
    const m = /^(?:\+ (\d+) (.+)|- (\d+))$/.exec(line);
    if (m?.[1]) groups.set(Number(m[1]), m[2]!);
    else if (m?.[3]) groups.delete(Number(m[3]));
  }
  return groups;
}

export class CommandGroupsFile {
  private readonly file: string;
  private fd: number;
  private readonly running = new Map<number, string>();
  private lines = 0;

  /** Starts an empty file: call it once the previous life's groups were dealt with. */
  constructor(basedir: string) {
    this.file = path.join(basedir, COMMAND_GROUPS_FILE);
    writeFileSync(this.file, '');
    // Append mode: after a truncation the next line lands at offset 0, not after a hole.
    this.fd = openSync(this.file, 'a');
  }

  add(pgid: number, start: string | null | undefined): void {
    const token = start ? start.replace(/\s+/g, ' ') : '?';
    this.running.set(pgid, token);
    this.append(`+ ${pgid} ${token}`);
  }

  remove(pgid: number): void {
    if (!this.running.delete(pgid)) return;
    if (this.running.size === 0) { ftruncateSync(this.fd, 0); this.lines = 0; return; }
    this.append(`- ${pgid}`);
  }

  close(): void {
    closeSync(this.fd);
  }

  private append(line: string): void {
    writeSync(this.fd, `${line}\n`);
    if (++this.lines >= COMPACT_AFTER_LINES) this.compact();
  }

  /** Rewrites the file with the running groups only; the rename keeps either the old or the new file whole. */
  private compact(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, [...this.running].map(([pgid, token]) => `+ ${pgid} ${token}\n`).join(''));
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.lines = this.running.size;
  }
}
