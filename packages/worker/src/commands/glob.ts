/**
 * `glob`: the paths matching a shell pattern, as `['files', [...]]`, with Python's glob rules:
 * `*`, `?`, `[...]` within one component, `**` across directories, hidden files only when the
 * pattern component starts with a dot, results carrying the pattern's own prefix (absolute stays
 * absolute).
 */
import { readdirSync, statSync, lstatSync } from 'node:fs';
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

const hasMagic = (s: string) => /[*?[]/.test(s);
const isDir = (p: string) => { try { return statSync(p).isDirectory(); } catch { return false; } };
const exists = (p: string) => { try { lstatSync(p); return true; } catch { return false; } };
const list = (p: string) => { try { return readdirSync(p || '.'); } catch { return []; } };

/** All directories under `dir` (itself included), for `**`; symlinked directories are not entered. */
function walkDirs(dir: string, out: string[]): string[] {
  out.push(dir);
  for (const name of list(dir)) {
    if (name.startsWith('.')) continue;
    const child = dir ? path.join(dir, name) : name;
    try { if (lstatSync(child).isDirectory()) walkDirs(child, out); } catch { /* vanished */ }
  }
  return out;
}

export function globPaths(pattern: string): string[] {
  const root = path.parse(pattern).root;
  const parts = pattern.slice(root.length).split(/[\\/]+/).filter((p) => p !== '');
  let current = [root];
  parts.forEach((part, index) => {
    const last = index === parts.length - 1;
    const next: string[] = [];
    for (const base of current) {
      if (part === '**') {
        for (const d of walkDirs(base, [])) next.push(d);
        if (last) for (const d of walkDirs(base, [])) for (const n of list(d)) if (!n.startsWith('.')) next.push(d ? path.join(d, n) : n);
      } else if (!hasMagic(part)) {
        const p = base ? path.join(base, part) : part;
        if (last ? exists(p) : isDir(p)) next.push(p);
      } else {
        const re = componentRegExp(part);
        for (const name of list(base)) {
          if (name.startsWith('.') && !part.startsWith('.')) continue;
          if (!re.test(name)) continue;
          const p = base ? path.join(base, name) : name;
          if (last || isDir(p)) next.push(p);
        }
      }
    }
    current = [...new Set(next)];
  });
  return current.filter((p) => p !== root && p !== '');
}

export const glob: CommandDefinition = {
  name: 'glob',
  requiredArgs: ['path'],
  create: (ctx) => ({
    async run() {
      const requested = argString(ctx.args, 'path');
      try {
        ctx.sendStatus([['files', globPaths(ctx.resolvePath(requested))], ['rc', 0]]);
      } catch (err) {
        ctx.sendStatus([['header', `glob: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
      }
    },
    interrupt() { /* instantaneous */ },
  }),
};
