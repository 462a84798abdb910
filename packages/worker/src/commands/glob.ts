/**
 * `glob`: the paths matching a shell pattern, as `['files', [...]]`, with Python's glob rules:
 * `*`, `?`, `[...]` within one component, `**` across directories, hidden files only when the
 * pattern component starts with a dot, results carrying the pattern's own prefix (absolute stays
 * absolute).
 *
 * The walk is asynchronous (fs.promises.opendir, one directory open at a time) so a pattern over a
 * big tree never stalls the worker: keepalives, other commands' output and an interrupt all get
 * through between directory reads. An interrupt stops the walk; no partial list is sent.
 */
import type { Dirent } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { argString, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

function componentRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close === -1) { re += '\\['; continue; }
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** Raised inside the walk once the command was interrupted. */
class GlobInterrupted extends Error {}

const hasMagic = (s: string) => /[*?[]/.test(s);
const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);
const exists = (p: string) => lstat(p).then(() => true, () => false);
const join = (base: string, name: string) => (base ? path.join(base, name) : name);

class Walker {
  constructor(private readonly signal: AbortSignal) {}

  /** The entries of a directory ('' = the current one); none when it cannot be read, as in Python. */
  async list(dir: string): Promise<Dirent[]> {
    if (this.signal.aborted) throw new GlobInterrupted();
    const out: Dirent[] = [];
    try {
      // 128 entries per read: most directories take one round trip to the thread pool. for-await
      // closes the directory at the end, and on an error midway.
      for await (const entry of await opendir(dir || '.', { bufferSize: 128 })) out.push(entry);
    } catch { /* unreadable or vanished: what was read counts */ }
    return out;
  }

  /** Whether an entry of `base` is a directory, following a symlink (a pattern part before the last). */
  async entryIsDir(base: string, entry: Dirent): Promise<boolean> {
    if (entry.isDirectory()) return true;
    return entry.isSymbolicLink() ? isDir(join(base, entry.name)) : false;
  }

  /**
   * Every directory under `dir` (itself first, then depth first in listing order) with its visible
   * entries, for `**`: hidden names are skipped and symlinked directories are not entered.
   */
  async tree(dir: string, out: Array<{ dir: string; names: string[] }> = []): Promise<Array<{ dir: string; names: string[] }>> {
    const visible = (await this.list(dir)).filter((e) => !e.name.startsWith('.'));
    out.push({ dir, names: visible.map((e) => e.name) });
    for (const e of visible) if (e.isDirectory()) await this.tree(join(dir, e.name), out);
    return out;
  }

  async glob(pattern: string): Promise<string[]> {
    const root = path.parse(pattern).root;
    const parts = pattern.slice(root.length).split(/[\\/]+/).filter((p) => p !== '');
    let current = [root];
    for (const [index, part] of parts.entries()) {
      const last = index === parts.length - 1;
      const next: string[] = [];
      for (const base of current) {
        if (part === '**') {
          const tree = await this.tree(base);
          for (const { dir } of tree) next.push(dir);
          if (last) for (const { dir, names } of tree) for (const n of names) next.push(join(dir, n));
        } else if (!hasMagic(part)) {
          const p = join(base, part);
          if (await (last ? exists(p) : isDir(p))) next.push(p);
        } else {
          const re = componentRegExp(part);
          for (const entry of await this.list(base)) {
            if (entry.name.startsWith('.') && !part.startsWith('.')) continue;
            if (!re.test(entry.name)) continue;
            if (last || await this.entryIsDir(base, entry)) next.push(join(base, entry.name));
          }
        }
      }
      current = [...new Set(next)];
    }
    return current.filter((p) => p !== root && p !== '');
  }
}

/** The paths matching `pattern`; rejects with GlobInterrupted once `signal` is aborted. */
export function globPaths(pattern: string, signal: AbortSignal = new AbortController().signal): Promise<string[]> {
  return new Walker(signal).glob(pattern);
}

export const glob: CommandDefinition = {
  name: 'glob',
  requiredArgs: ['path'],
  create: (ctx) => {
    const abort = new AbortController();
    let why = 'interrupted';
    return {
      async run() {
        const requested = argString(ctx.args, 'path');
        try {
          ctx.sendStatus([['files', await globPaths(ctx.resolvePath(requested), abort.signal)], ['rc', 0]]);
        } catch (err) {
          if (err instanceof GlobInterrupted) ctx.sendStatus([['header', `glob interrupted (${why}): ${requested}\n`], ['rc', 1]]);
          else ctx.sendStatus([['header', `glob: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
        }
      },
      interrupt(reason) { why = reason; abort.abort(); },
    };
  },
};
