/** `rmfile`: removes one file. */
import { unlinkSync } from 'node:fs';
import { argString, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

export const rmfile: CommandDefinition = {
  name: 'rmfile',
  requiredArgs: ['path'],
  create: (ctx) => ({
    async run() {
      const requested = argString(ctx.args, 'path');
      try {
        unlinkSync(ctx.resolvePath(requested));
        ctx.sendStatus([['rc', 0]]);
      } catch (err) {
        ctx.sendStatus([['header', `rmfile: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
      }
    },
    interrupt() { /* instantaneous */ },
  }),
};
