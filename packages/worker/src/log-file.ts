/**
 * `worker.log` of a worker started in the background: written by the worker itself, rotated by size
 * as buildbot-worker rotates twistd.log (`rotateLength`, `maxRotatedFiles` in worker.json, from
 * create-worker's `--log-size` and `--log-count`), and reopened on SIGUSR1 for an external logrotate.
 * Lines are written synchronously (a worker logs little); a line that cannot be written (a full disk)
 * is counted, and the next line that can be says how many were lost.
 */
import { writeSync } from 'node:fs';
import { RotatingLogFile, type RotationOptions } from 'mastro-protocol/rotating-log-file';

export interface WorkerLogFile {
  write(text: string): void;
  /** Reopens the file (SIGUSR1). */
  reopen(): void;
  readonly path: string;
}

export function openWorkerLogFile(path: string, rotation: RotationOptions): WorkerLogFile {
  const file = new RotatingLogFile(path, rotation);
  let lost = 0;
  let lostWhy = '';
  const note = (err: Error | null, what: string): string =>
    err ? `${new Date().toISOString()} ${what} ${path} failed (${(err as NodeJS.ErrnoException).code ?? err.message}); logging goes on in the current file\n` : '';
  const put = (text: string): boolean => {
    try {
      file.written(writeSync(file.fd, text));
      return true;
    } catch (err) {
      lost += 1;
      lostWhy ||= (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      return false;
    }
  };
  return {
    path,
    write(text) {
      let prefix = '';
      if (file.due) {
        const err = file.rotate();
        prefix = note(err, 'rotating');
        if (err) file.written(-file.bytes); // tried again after another rotateLength, not at every line
      }
      if (lost && put(`${prefix}${new Date().toISOString()} ${lost} log line(s) could not be written here (${lostWhy})\n`)) { lost = 0; lostWhy = ''; prefix = ''; }
      put(prefix + text);
    },
    reopen() {
      const err = file.reopen();
      put(note(err, 'reopening') || `${new Date().toISOString()} received SIGUSR1; reopened ${path}\n`);
    },
  };
}
