/**
 * `BASEDIR/command-groups`: the process groups of the commands a worker runs, kept on disk so the
 * next worker started in that directory can end what its previous life left running (a worker
 * killed with SIGKILL whose watchdog was killed too, or is still in its grace period) before it
 * attaches and runs a retry in the same build directories.
 *
 * The first line names the worker that writes it (`w PID START`), so a worker started in a basedir
 * another live worker still uses (only possible through the API: the CLI refuses it) leaves that
 * one's commands alone. Then one line per event, appended: `+ PGID START` when a command started
 * (START tells that process from a later one given the same pid, see `processStartTime`; `?` when
 * unknown) and `- PGID` when it ended. The file is cut back to its first line whenever no command
 * runs and rewritten when it grows long, so it stays a few lines.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, ftruncateSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

export const COMMAND_GROUPS_FILE = 'command-groups';

/** Lines appended before the file is rewritten with only the running groups. */
const COMPACT_AFTER_LINES = 1000;

export interface RecordedGroups {
  /** The worker process that wrote the file, with its start token; null for a file without that line. */
  owner: { pid: number; start: string } | null;
  /** The groups it lists as running: pgid -> start token ('?' when it was not known). */
  groups: Map<number, string>;
}

const token = (start: string | null | undefined) => (start ? start.replace(/\s+/g, ' ') : '?');

export function readCommandGroups(basedir: string): RecordedGroups {
  const file = path.join(basedir, COMMAND_GROUPS_FILE);
  const out: RecordedGroups = { owner: null, groups: new Map() };
  if (!existsSync(file)) return out;
  // The last piece has no newline: empty, or a line the dying worker cut short ("+ 12" of "+ 1234 ..."), ignored.
  for (const line of readFileSync(file, 'utf8').split('\n').slice(0, -1)) {
    const m = /^(?:\+ (\d+) (.+)|- (\d+)|w (\d+) (.+))$/.exec(line);
    if (m?.[1]) out.groups.set(Number(m[1]), m[2]!);
    else if (m?.[3]) out.groups.delete(Number(m[3]));
    else if (m?.[4]) out.owner = { pid: Number(m[4]), start: m[5]! };
  }
  return out;
}

export class CommandGroupsFile {
  private readonly file: string;
  private fd: number;
  private readonly running = new Map<number, string>();
  private lines = 0;
  private readonly header: string;

  /**
   * Starts a file listing no group: call it once the previous life's groups were dealt with.
   * `ownerStart`: this process's start token.
   */
  constructor(basedir: string, ownerStart: string | null | undefined) {
    this.file = path.join(basedir, COMMAND_GROUPS_FILE);
    this.header = `w ${process.pid} ${token(ownerStart)}\n`;
    writeFileSync(this.file, this.header);
    // Append mode: after a truncation the next line lands at the new end, not after a hole.
    this.fd = openSync(this.file, 'a');
  }

  add(pgid: number, start: string | null | undefined): void {
    this.running.set(pgid, token(start));
    this.append(`+ ${pgid} ${token(start)}`);
  }

  remove(pgid: number): void {
    if (!this.running.delete(pgid)) return;
    if (this.running.size === 0) { ftruncateSync(this.fd, Buffer.byteLength(this.header)); this.lines = 0; return; }
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
    writeFileSync(tmp, this.header + [...this.running].map(([pgid, start]) => `+ ${pgid} ${start}\n`).join(''));
    renameSync(tmp, this.file);
    closeSync(this.fd);
    this.fd = openSync(this.file, 'a');
    this.lines = this.running.size;
  }
}
