/**
 * `upload_directory`: streams a tar of a worker directory (optionally gzip- or bzip2-compressed)
 * to the master in `blocksize` chunks (`update_upload_directory_write`), then asks the master to
 * unpack it (`update_upload_directory_unpack`). Past `maxsize` the upload is cut and rc is 1.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { packDirectory } from 'mastro-protocol/tar';
import { CommandArgsError, type CommandDefinition, type CommandContext, type WorkerCommand } from './types.js';
import { TransferState, transferArgs } from './transfer.js';

/** Re-chunks a stream into pieces of exactly `size` bytes (the last may be shorter). */
async function* blocks(stream: Readable, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    pending.push(chunk as Buffer);
    length += (chunk as Buffer).length;
    while (length >= size) {
      const all = Buffer.concat(pending);
      yield all.subarray(0, size);
      pending = [all.subarray(size)];
      length -= size;
    }
  }
  if (length > 0) yield Buffer.concat(pending);
}

function bzip2(input: Readable): Readable {
  const child = spawn('bzip2', ['-c'], { stdio: ['pipe', 'pipe', 'ignore'] });
  child.on('error', (err) => child.stdout.destroy(new Error(`compress='bz2' needs the bzip2 program on the worker: ${err.message}`)));
  input.on('error', (err) => child.stdout.destroy(err));
  // When the upload stops reading (cut at maxsize, interrupted, failed), bzip2 dies of SIGPIPE and
  // the packer's next write into it fails with EPIPE: expected then, and an unhandled 'error'
  // would end the worker. Closing the output also stops the packer and bzip2.
  child.stdin.on('error', () => {});
  child.stdout.once('close', () => {
    input.unpipe(child.stdin);
    input.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill();
  });
  input.pipe(child.stdin);
  return child.stdout;
}

class UploadDirectory implements WorkerCommand {
  private readonly state = new TransferState();
  constructor(private readonly ctx: CommandContext) {}

  async run(): Promise<void> {
    const ctx = this.ctx;
    const { requested, blocksize, budget } = transferArgs(ctx.args);
    const compress = ctx.args.compress ?? null;
    if (compress !== null && compress !== 'gz' && compress !== 'bz2') throw new CommandArgsError(`unsupported compress ${JSON.stringify(compress)}: use 'gz', 'bz2' or null`);
    const source = ctx.resolvePath(requested);
    let stream: Readable = packDirectory(source, { gzip: compress === 'gz' });
    if (compress === 'bz2') stream = bzip2(stream);
    ctx.sendStatus([['header', `sending ${source}\n`]]);
    try {
      for await (const block of blocks(stream, blocksize)) {
        if (this.state.interrupted) break;
        const length = budget.allow(block.length);
        if (length === 0) { this.state.truncated(source); break; }
        budget.spend(length);
        await ctx.request('update_upload_directory_write', { args: length === block.length ? block : block.subarray(0, length) });
      }
      stream.destroy();
      await ctx.request('update_upload_directory_unpack');
    } catch (err) {
      stream.destroy();
      this.state.rc = 1;
      this.state.finish(ctx);
      throw err;
    }
    this.state.finish(ctx);
  }

  interrupt(): void { this.state.interrupt(); }
}

export const uploadDirectory: CommandDefinition = {
  name: 'upload_directory',
  requiredArgs: ['path', 'blocksize'],
  create: (ctx) => new UploadDirectory(ctx),
};
