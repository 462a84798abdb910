/**
 * What program a shell command runs, and how, on each platform (Buildbot's RunProcess rules):
 * - a string runs through `/bin/sh -c` on POSIX and through `%COMSPEC% /c` (cmd.exe) on Windows;
 * - a list runs directly (argv) on POSIX; on Windows only an absolute `.exe` runs directly, anything
 *   else through cmd.exe, which finds `.bat`/`.cmd` files on PATH, with the words quoted for it as
 *   for a batch file (shellQuote);
 * - on POSIX the command leads a process group of its own (detached), so one signal reaches its
 *   whole tree (kill-tree.ts); Windows has no groups (taskkill /T walks the tree instead).
 * Pure: the platform and COMSPEC are parameters, so each platform's path is unit-tested anywhere.
 */
import path from 'node:path';
import { shellQuote } from './shell-quote.js';

export interface SpawnSpec {
  file: string;
  args: string[];
  /** Pass `args` to CreateProcess as written (Windows: they are already quoted for cmd.exe). */
  verbatim: boolean;
  /** Start the command in a process group of its own (POSIX). */
  detached: boolean;
}

/** `command`: the string given, or the real words of a list (obfuscated words already replaced by their real value). */
export function spawnSpec(command: string | readonly string[], platform: NodeJS.Platform, comspec: string | undefined): SpawnSpec {
  const win = platform === 'win32';
  const detached = !win;
  // COMSPEC may carry arguments of its own; `/c` is added once, last, as Buildbot does.
  const shell = () => {
    const [file, ...rest] = (comspec ?? 'cmd.exe').split(' ').filter((w) => w !== '');
    return { file: file ?? 'cmd.exe', pre: rest.filter((x) => x.toLowerCase() !== '/c') };
  };
  if (typeof command === 'string') {
    if (win) { const { file, pre } = shell(); return { file, args: [...pre, '/c', command], verbatim: true, detached }; }
    return { file: '/bin/sh', args: ['-c', command], verbatim: false, detached };
  }
  if (command.length === 0) throw new Error('the command is an empty list');
  const argv0 = command[0]!;
  if (win && !(argv0.toLowerCase().endsWith('.exe') && path.win32.isAbsolute(argv0))) {
    const { file, pre } = shell();
    return { file, args: [...pre, '/c', shellQuote(command, 'win32')], verbatim: true, detached };
  }
  return { file: argv0, args: command.slice(1), verbatim: false, detached };
}
