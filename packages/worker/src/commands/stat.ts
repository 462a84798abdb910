/** `stat`: sends the 10-tuple of Python's os.stat() for a path as `['stat', [...]]`. */
import { statSync } from 'node:fs';
import { argString, errnoOf, strerrorOf, type CommandDefinition } from './types.js';

export const stat: CommandDefinition = {
  name: 'stat',
  requiredArgs: ['path'],
  create: (ctx) => ({
    async run() {
      const requested = argString(ctx.args, 'path');
      try {
        const st = statSync(ctx.resolvePath(requested));
        // (st_mode, st_ino, st_dev, st_nlink, st_uid, st_gid, st_size, st_atime, st_mtime, st_ctime)
        const value = [st.mode, st.ino, st.dev, st.nlink, st.uid, st.gid, st.size,
          Math.floor(st.atimeMs / 1000), Math.floor(st.mtimeMs / 1000), Math.floor(st.ctimeMs / 1000)];
        ctx.sendStatus([['stat', value], ['rc', 0]]);
      } catch (err) {
        ctx.sendStatus([['header', `stat: ${strerrorOf(err)}: ${requested}`], ['rc', errnoOf(err)]]);
      }
    },
    interrupt() { /* instantaneous */ },
  }),
};
