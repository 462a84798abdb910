/** `cpdir`: copies the directory `from_path` to `to_path`, keeping symlinks, modes and times (`cp -R -P -p`). */
import { promises as fsp, existsSync } from 'node:fs';
import path from 'node:path';
import { argString, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

export const cpdir: CommandDefinition = {
  name: 'cpdir',
  requiredArgs: ['from_path', 'to_path'],
  create: (ctx) => ({
    async run() {
      const fromReq = argString(ctx.args, 'from_path');
      const toReq = argString(ctx.args, 'to_path');
      try {
        const from = ctx.resolvePath(fromReq);
        const to = ctx.resolvePath(toReq);
        await fsp.mkdir(path.dirname(to), { recursive: true });
        if (existsSync(to)) ctx.log.info(`cp target '${to}' already exists -- contents are merged`);
        await fsp.cp(from, to, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true, errorOnExist: false, force: true });
        ctx.sendStatus([['rc', 0]]);
      } catch (err) {
        ctx.sendStatus([['stderr', `cpdir: cannot copy '${fromReq}' to '${toReq}': ${strerrorOf(err)}\n`], ['rc', errnoOf(err)]]);
      }
    },
    interrupt() { /* fs.cp cannot be stopped midway; it is bounded by the tree's size */ },
  }),
};
