/**
 * `upload_file`: sends a worker file to the master in `blocksize` chunks
 * (`update_upload_file_write`), stops with rc 1 after `maxsize` bytes, then
 * `update_upload_file_close` and, with `keepstamp`, `update_upload_file_utime`.
 */
import { promises as fsp } from 'node:fs';
import type { CommandDefinition, CommandContext, WorkerCommand } from './types.js';
import { TransferState, transferArgs } from './transfer.js';

class UploadFile implements WorkerCommand {
  private readonly state = new TransferState();
  constructor(private readonly ctx: CommandContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { requested, blocksize, budget } = transferArgs(ctx.args);
    const keepstamp = !!ctx.args.keepstamp;
    let file: fsp.FileHandle | null = null;
    let times: { atime: number; mtime: number } | null = null;
    let source = requested;
    try {
      source = ctx.resolvePath(requested);
      if (keepstamp) { const st = await fsp.stat(source); times = { atime: st.atimeMs / 1000, mtime: st.mtimeMs / 1000 }; }
      file = await fsp.open(source, 'r');
    } catch (err) {
      this.state.cannotOpen(source, 'upload', err);
    }
    ctx.sendStatus([['header', `sending ${source}\n`]]);
    try {
      while (file && !this.state.interrupted) {
        const length = budget.allow(blocksize);
        if (length === 0) { this.state.truncated(source); break; }
        const buf = Buffer.alloc(length);
        const { bytesRead } = await file.read(buf, 0, length, null);
        if (bytesRead === 0) break;
        budget.spend(bytesRead);
        await ctx.request('update_upload_file_write', { args: bytesRead === length ? buf : buf.subarray(0, bytesRead) });
      }
      await file?.close(); file = null;
      await ctx.request('update_upload_file_close');
      if (keepstamp && times) await ctx.request('update_upload_file_utime', { access_time: times.atime, modified_time: times.mtime });
    } catch (err) {
      this.state.rc = 1;
      await file?.close().catch(() => undefined);
      await ctx.request('update_upload_file_close').catch((e) => ctx.log.warn(`ignoring error from remote close(): ${e}`));
      this.state.finish(ctx);
      throw err;
    }
    this.state.finish(ctx);
  }

  interrupt(): void { this.state.interrupt(); }
}

export const uploadFile: CommandDefinition = {
  name: 'upload_file',
  requiredArgs: ['path', 'blocksize'],
  create: (ctx) => new UploadFile(ctx),
};
