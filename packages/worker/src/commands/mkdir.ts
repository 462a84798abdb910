/** `mkdir`: creates each of `paths` with its parents; the first failure ends the command. */
import { mkdirSync, statSync } from 'node:fs';
import { CommandArgsError, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

/** Buildbot 3.7 masters send `paths`; older callers `dir` (a string or a list). */
export function pathList(args: Record<string, unknown>): string[] {
  const v = args.paths ?? args.dir;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) throw new CommandArgsError("argument 'paths' must be a list of strings");
  return list as string[];
}

export const mkdir: CommandDefinition = {
  name: 'mkdir',
  requiredArgs: [],
  create: (ctx) => ({
    async run() {
      for (const requested of pathList(ctx.args)) {
        try {
          const target = ctx.resolvePath(requested);
          let isDir = false;
          try { isDir = statSync(target).isDirectory(); } catch { /* missing */ }
          if (!isDir) mkdirSync(target, { recursive: true });
        } catch (err) {
          ctx.sendStatus([['header', `mkdir: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
          return;
        }
      }
      ctx.sendStatus([['rc', 0]]);
    },
    interrupt() { /* instantaneous */ },
  }),
};
