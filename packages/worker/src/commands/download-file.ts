/**
 * `download_file`: reads a master-side file through `update_read_file` (`length` bytes at a time,
 * until an empty answer) into a worker file created with `mode`, stopping with rc 1 once `maxsize`
 * bytes were written; `update_read_file_close` in every case.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { CommandDefinition, CommandContext, WorkerCommand } from './types.js';
import { TransferState, asBytes, transferArgs } from './transfer.js';

class DownloadFile implements WorkerCommand {
  private readonly state = new TransferState();
  constructor(private readonly ctx: CommandContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { requested, blocksize, budget } = transferArgs(ctx.args);
    const mode = typeof ctx.args.mode === 'number' ? ctx.args.mode : null;
    let file: fsp.FileHandle | null = null;
    let target = requested;
    try {
      target = ctx.resolvePath(requested);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      file = await fsp.open(target, 'w');
      if (mode !== null) await fsp.chmod(target, mode);
    } catch (err) {
      await file?.close().catch(() => undefined);
      file = null;
      this.state.cannotOpen(target, 'download', err);
    }
    let failure: unknown = null;
    try {
      while (file && !this.state.interrupted) {
        const length = budget.allow(blocksize);
        if (length === 0) { this.state.truncated(target); break; }
        const data = asBytes(await ctx.request('update_read_file', { length }));
        if (data.length === 0) break;
        budget.spend(data.length);
        await file.write(data);
      }
    } catch (err) { failure = err; this.state.rc = 1; }
    await file?.close().catch(() => undefined);
    await ctx.request('update_read_file_close').catch((e) => ctx.log.warn(`while trying to close reader: ${e}`));
    this.state.finish(ctx);
    if (failure) throw failure;
  }

  interrupt(): void { this.state.interrupt(); }
}

export const downloadFile: CommandDefinition = {
  name: 'download_file',
  requiredArgs: ['path', 'blocksize'],
  create: (ctx) => new DownloadFile(ctx),
};
