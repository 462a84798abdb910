/**
 * `glob`: the paths matching a shell pattern, as `['files', [...]]`, as buildbot-worker answers it
 * with Python's `glob.glob(pattern, recursive=True)`: `*`, `?`, `[...]` within one component
 * (fnmatch, from mastro-protocol's linear-time glob engine, as the pattern comes from the master),
 * `**` across directories, hidden names only when the pattern component starts with a dot, a
 * trailing separator matching directories only, results carrying the pattern's own prefix
 * (absolute stays absolute). The walk follows Python's glob module step by step; one deliberate
 * difference: `**` neither descends into nor stands for a symlinked directory (a link cycle would
 * never end), though a symlink is listed as an entry of `dir/**`; and `dir/**` lists nothing when
 * `dir` is missing or not a directory (Python answers `dir/`).
 *
 * The walk is asynchronous (fs.promises.opendir, one directory open at a time) so a pattern over a
 * big tree never stalls the worker: keepalives, other commands' output and an interrupt all get
 * through between directory reads. An interrupt stops the walk; no partial list is sent.
 */
import type { Dirent } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
import path from 'node:path';
import { compileFnmatch, type StringPredicate } from 'mastro-protocol/glob-match';
import { argString, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

const windows = path.sep === '\\';
const isSep = (c: string | undefined) => c === '/' || (windows && c === '\\');
const hasMagic = (s: string) => /[*?[]/.test(s);
const isHidden = (name: string) => name.startsWith('.');
const isRecursive = (part: string) => part === '**';

const lexists = (p: string) => lstat(p).then(() => true, () => false);
const isDir = (p: string) => stat(p).then((s) => s.isDirectory(), () => false);

/** Python's os.path.split: the head keeps a root, loses trailing separators; the tail is '' after one. */
function split(p: string): [string, string] {
  const root = path.parse(p).root;
  let i = p.length;
  while (i > root.length && !isSep(p[i - 1])) i--;
  let head = p.slice(0, i);
  const tail = p.slice(i);
  while (head.length > root.length && isSep(head[head.length - 1])) head = head.slice(0, -1);
  return [head, tail];
}

/** Python's os.path.join of two parts: joining '' adds a trailing separator. */
function join(dir: string, name: string): string {
  if (!dir) return name;
  return isSep(dir[dir.length - 1]) ? dir + name : dir + path.sep + name;
}

/** Case as fnmatch compares it: folded on Windows, as ntpath's normcase does. */
const fold = (s: string) => (windows ? s.toLowerCase() : s);

/** Raised inside the walk once the command was interrupted. */
class GlobInterrupted extends Error {}

/** One glob's walk: its compiled components (each compiled once however many directories it is tried in) and its interrupt. */
class Walker {
  private readonly compiled = new Map<string, StringPredicate>();

  constructor(private readonly signal: AbortSignal) {}

  private matcher(component: string): StringPredicate {
    let m = this.compiled.get(component);
    if (!m) this.compiled.set(component, (m = compileFnmatch(fold(component), 'none')));
    return m;
  }

  /** The entries of a directory ('' = the current one); none when it cannot be read, as in Python. */
  private async entries(dir: string): Promise<Dirent[]> {
    if (this.signal.aborted) throw new GlobInterrupted();
    const out: Dirent[] = [];
    try {
      // 128 entries per read: most directories take one round trip to the thread pool. for-await
      // closes the directory at the end, and on an error midway.
      for await (const entry of await opendir(dir || '.', { bufferSize: 128 })) out.push(entry);
    } catch { /* unreadable or vanished: what was read counts */ }
    return out;
  }

  /** Whether an entry of `dir` is a directory, following a symlink (Python's entry.is_dir()). */
  private async entryIsDir(dir: string, entry: Dirent): Promise<boolean> {
    if (entry.isDirectory()) return true;
    return entry.isSymbolicLink() ? isDir(join(dir, entry.name)) : false;
  }

  /** Entry names of `dir`, directories only when `dirOnly` (Python's _listdir). */
  private async listdir(dir: string, dirOnly: boolean): Promise<string[]> {
    const names: string[] = [];
    for (const e of await this.entries(dir)) if (!dirOnly || await this.entryIsDir(dir, e)) names.push(e.name);
    return names;
  }

  /** Names in `dir` matching one magic component (Python's _glob1). */
  private async glob1(dir: string, pattern: string, dirOnly: boolean): Promise<string[]> {
    const matches = this.matcher(pattern);
    let names = await this.listdir(dir, dirOnly);
    if (!isHidden(pattern)) names = names.filter((n) => !isHidden(n));
    return names.filter((n) => matches(fold(n)));
  }

  /** A literal component (Python's _glob0): itself if it exists, '' (the directory) for a trailing separator. */
  private async glob0(dir: string, name: string): Promise<string[]> {
    if (name) return (await lexists(join(dir, name))) ? [name] : [];
    return (await isDir(dir)) ? [name] : [];
  }

  /** `**` (Python's _glob2): the directory itself ('') and every non-hidden entry below it; nothing when `dir` is no directory. */
  private async glob2(dir: string, dirOnly: boolean): Promise<string[]> {
    // Python yields '' whatever `dir` is, so `missing/**` answers `missing/`; mastro answers nothing.
    if (dir && !(await isDir(dir))) return [];
    const out = [''];
    const walk = async (rel: string): Promise<void> => {
      const at = join(dir, rel);
      for (const e of await this.entries(at)) {
        if (isHidden(e.name)) continue;
        // Directories only (a part before the last): real ones, as the walk never follows a link
        // (Python would take a symlinked directory here and look inside it).
        if (dirOnly && !e.isDirectory()) continue;
        const sub = join(rel, e.name);
        out.push(sub);
        // A directory entry (not a symlink to one): the walk never follows a link.
        if (e.isDirectory()) await walk(sub);
      }
    };
    await walk('');
    return out;
  }

  /** Python's glob._iglob with recursive=True. */
  async iglob(pattern: string, dirOnly: boolean): Promise<string[]> {
    const [dir, base] = split(pattern);
    if (!hasMagic(pattern)) {
      if (base) return (await lexists(pattern)) ? [pattern] : [];
      return (await isDir(dir)) ? [pattern] : [];
    }
    if (!dir) return isRecursive(base) ? this.glob2('', dirOnly) : this.glob1('', base, dirOnly);
    const dirs = dir !== pattern && hasMagic(dir) ? await this.iglob(dir, true) : [dir];
    const inDir = !hasMagic(base) ? (d: string) => this.glob0(d, base)
      : isRecursive(base) ? (d: string) => this.glob2(d, dirOnly) : (d: string) => this.glob1(d, base, dirOnly);
    const out: string[] = [];
    for (const d of dirs) for (const name of await inDir(d)) out.push(join(d, name));
    return out;
  }
}

/** The paths matching `pattern`; rejects with GlobInterrupted once `signal` is aborted. */
export async function globPaths(pattern: string, signal: AbortSignal = new AbortController().signal): Promise<string[]> {
  const found = await new Walker(signal).iglob(pattern, false);
  // Python drops the leading '' that a pattern starting with `**` yields for the working directory.
  return isRecursive(pattern.slice(0, 2)) && found[0] === '' ? found.slice(1) : found;
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
          const resolved = ctx.resolvePath(requested);
          // Resolving drops a trailing separator, which in a glob means "directories only": keep it.
          const pattern = isSep(requested[requested.length - 1]) && !isSep(resolved[resolved.length - 1]) ? resolved + path.sep : resolved;
          ctx.sendStatus([['files', await globPaths(pattern, abort.signal)], ['rc', 0]]);
        } catch (err) {
          if (err instanceof GlobInterrupted) ctx.sendStatus([['header', `glob interrupted (${why}): ${requested}\n`], ['rc', 1]]);
          else ctx.sendStatus([['header', `glob: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
        }
      },
      interrupt(reason) { why = reason; abort.abort(); },
    };
  },
};
