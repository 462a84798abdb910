/**
 * `rmdir`: removes each of `paths` recursively (files too). A failure on one path makes the rc
 * non-zero but the others are still removed, as in Buildbot. Unwritable subdirectories (chmod 000)
 * get their permissions fixed and the removal is retried once.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errnoOf, strerrorOf, type CommandDefinition, type CommandContext } from './types.js';
import { pathList } from './mkdir.js';

async function makeWritable(target: string): Promise<void> {
  const st = await fsp.lstat(target).catch(() => null);
  if (!st || st.isSymbolicLink()) return;
  await fsp.chmod(target, (st.mode & 0o777) | 0o700).catch(() => undefined);
  if (st.isDirectory()) for (const name of await fsp.readdir(target).catch(() => [])) await makeWritable(path.join(target, name));
}

async function removeOne(ctx: CommandContext, requested: string): Promise<number> {
  let target: string;
  try { target = ctx.resolvePath(requested); } catch (err) {
    ctx.sendStatus([['stderr', `rmdir: ${strerrorOf(err)}\n`]]);
    return 1;
  }
  try { await fsp.rm(target, { recursive: true, force: true }); return 0; } catch {
    await makeWritable(target);
    try { await fsp.rm(target, { recursive: true, force: true }); return 0; } catch (err) {
      ctx.sendStatus([['stderr', `rmdir: cannot remove '${requested}': ${strerrorOf(err)}\n`]]);
      return errnoOf(err);
    }
  }
}

export const rmdir: CommandDefinition = {
  name: 'rmdir',
  requiredArgs: [],
  create: (ctx) => {
    let interrupted = false;
    return {
      async run() {
        let rc = 0;
        for (const requested of pathList(ctx.args)) {
          if (interrupted) { rc = rc || 1; break; }
          const res = await removeOne(ctx, requested);
          if (res !== 0) rc = res;
        }
        ctx.sendStatus([['rc', rc]]);
      },
      interrupt() { interrupted = true; },
    };
  },
};
