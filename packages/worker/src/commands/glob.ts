/**
 * `glob`: the paths matching a shell pattern, as `['files', [...]]`, as buildbot-worker answers it
 * with Python's `glob.glob(pattern, recursive=True)`: `*`, `?`, `[...]` within one component
 * (fnmatch, from mastro-protocol's linear-time glob engine, as the pattern comes from the master),
 * `**` across directories, hidden names only when the pattern component starts with a dot, a
 * trailing separator matching directories only, results carrying the pattern's own prefix
 * (absolute stays absolute). The walk follows Python's glob module step by step; one deliberate
 * difference: `**` does not descend into symlinked directories (a link cycle would never end).
 */
import { readdirSync, statSync, lstatSync } from 'node:fs';
import path from 'node:path';
import { compileFnmatch, type StringPredicate } from 'mastro-protocol/glob-match';
import { argString, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

const windows = path.sep === '\\';
const isSep = (c: string | undefined) => c === '/' || (windows && c === '\\');
const hasMagic = (s: string) => /[*?[]/.test(s);
const isHidden = (name: string) => name.startsWith('.');
const isRecursive = (part: string) => part === '**';

const lexists = (p: string) => { try { lstatSync(p); return true; } catch { return false; } };
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };
const isRealDir = (p: string) => { try { return lstatSync(p).isDirectory(); } catch { return false; } };

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

/** Entry names of `dir` ('' is the working directory), directories only when `dirOnly`; none when unreadable. */
function listdir(dir: string, dirOnly: boolean): string[] {
  let names: string[];
  try { names = readdirSync(dir || '.'); } catch { return []; }
  return dirOnly ? names.filter((n) => isDir(join(dir, n))) : names;
}

/** Case as fnmatch compares it: folded on Windows, as ntpath's normcase does. */
const fold = (s: string) => (windows ? s.toLowerCase() : s);

/** One glob's compiled components, each compiled once however many directories it is tried in. */
type Matchers = (component: string) => StringPredicate;

/** Names in `dir` matching one magic component (Python's _glob1). */
function glob1(dir: string, pattern: string, dirOnly: boolean, matcher: Matchers): string[] {
  const matches = matcher(pattern);
  let names = listdir(dir, dirOnly);
  if (!isHidden(pattern)) names = names.filter((n) => !isHidden(n));
  return names.filter((n) => matches(fold(n)));
}

/** A literal component (Python's _glob0): itself if it exists, '' (the directory) for a trailing separator. */
function glob0(dir: string, name: string): string[] {
  if (name) return lexists(join(dir, name)) ? [name] : [];
  return isDir(dir) ? [name] : [];
}

/** `**` (Python's _glob2): the directory itself ('') and every non-hidden entry below it. */
function glob2(dir: string, dirOnly: boolean): string[] {
  const out = [''];
  const walk = (rel: string) => {
    for (const name of listdir(join(dir, rel), dirOnly)) {
      if (isHidden(name)) continue;
      const sub = join(rel, name);
      out.push(sub);
      if (isRealDir(join(dir, sub))) walk(sub);
    }
  };
  walk('');
  return out;
}

/** Python's glob._iglob with recursive=True. */
function iglob(pattern: string, dirOnly: boolean, matcher: Matchers): string[] {
  const [dir, base] = split(pattern);
  if (!hasMagic(pattern)) {
    if (base) return lexists(pattern) ? [pattern] : [];
    return isDir(dir) ? [pattern] : [];
  }
  if (!dir) return isRecursive(base) ? glob2('', dirOnly) : glob1('', base, dirOnly, matcher);
  const dirs = dir !== pattern && hasMagic(dir) ? iglob(dir, true, matcher) : [dir];
  const inDir = !hasMagic(base) ? (d: string) => glob0(d, base) : isRecursive(base) ? (d: string) => glob2(d, dirOnly) : (d: string) => glob1(d, base, dirOnly, matcher);
  return dirs.flatMap((d) => inDir(d).map((name) => join(d, name)));
}

export function globPaths(pattern: string): string[] {
  const compiled = new Map<string, StringPredicate>();
  const matcher: Matchers = (c) => {
    let m = compiled.get(c);
    if (!m) compiled.set(c, (m = compileFnmatch(fold(c), 'none')));
    return m;
  };
  const found = iglob(pattern, false, matcher);
  // Python drops the leading '' that a pattern starting with `**` yields for the working directory.
  return isRecursive(pattern.slice(0, 2)) && found[0] === '' ? found.slice(1) : found;
}

export const glob: CommandDefinition = {
  name: 'glob',
  requiredArgs: ['path'],
  create: (ctx) => ({
    async run() {
      const requested = argString(ctx.args, 'path');
      try {
        const resolved = ctx.resolvePath(requested);
        // Resolving drops a trailing separator, which in a glob means "directories only": keep it.
        const pattern = isSep(requested[requested.length - 1]) && !isSep(resolved[resolved.length - 1]) ? resolved + path.sep : resolved;
        ctx.sendStatus([['files', globPaths(pattern)], ['rc', 0]]);
      } catch (err) {
        ctx.sendStatus([['header', `glob: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
      }
    },
    interrupt() { /* instantaneous */ },
  }),
};
