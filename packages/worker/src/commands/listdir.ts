/** `listdir`: the names in a directory, as `['files', [...]]`. */
import { readdirSync } from 'node:fs';
import { argString, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

export const listdir: CommandDefinition = {
  name: 'listdir',
  requiredArgs: ['path'],
  create: (ctx) => ({
    async run() {
      const requested = argString(ctx.args, 'path');
      try {
        ctx.sendStatus([['files', readdirSync(ctx.resolvePath(requested))], ['rc', 0]]);
      } catch (err) {
        ctx.sendStatus([['header', `listdir: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
      }
    },
    interrupt() { /* instantaneous */ },
  }),
};
