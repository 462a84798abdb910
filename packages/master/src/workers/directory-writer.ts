/**
 * Master side of `upload_directory`: the worker streams a tar (`update_upload_directory_write`),
 * then asks for `update_upload_directory_unpack`. The tar is spooled to a temporary file and then
 * extracted with mastro-protocol's safe extractor, which refuses `..`, absolute names and link
 * escapes, so nothing lands outside `masterDest`.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createTarExtractor } from 'mastro-protocol/tar';
import { FileWriter } from './file-writer.js';

export interface DirectoryWriterOptions {
  maxsize?: number | null;
  compress?: 'gz' | 'bz2' | null;
  /** The master's hard cap on the tar size and on the extracted bytes. */
  hardLimit: number;
  tmpDir?: string;
}

export class DirectoryWriter {
  readonly destination: string;
  private readonly spool: FileWriter;
  private readonly tarPath: string;

  constructor(destination: string, private readonly options: DirectoryWriterOptions) {
    this.destination = resolve(destination);
    const dir = options.tmpDir || tmpdir();
    this.tarPath = join(dir, `mastro-dirupload-${randomBytes(8).toString('hex')}.tar`);
    this.spool = new FileWriter(this.tarPath, { maxsize: options.maxsize, hardLimit: options.hardLimit }, dir);
  }

  write(data: unknown): Promise<void> { return this.spool.write(data); }

  /** Extracts the received archive into the destination, then removes the spool file. */
  async unpack(): Promise<void> {
    try {
      await this.spool.close();
      await this.spool.commit();
      await mkdir(this.destination, { recursive: true });
      const source = this.decompressed(createReadStream(this.tarPath));
      // gzip is auto-detected by the extractor; bz2 is decompressed by the system's bzip2 above.
      const sink = createTarExtractor(this.destination, { maxBytes: this.options.hardLimit, gzip: 'auto' });
      await pipeline(source, sink);
      await sink.result;
    } finally {
      await rm(this.tarPath, { force: true });
    }
  }

  /** Extraction already happened at unpack time; nothing is left to move into place. */
  async commit(): Promise<void> {}

  async cancel(): Promise<void> {
    await this.spool.cancel();
    await rm(this.tarPath, { force: true }).catch(() => {});
  }

  private decompressed(input: Readable): Readable {
    if (this.options.compress !== 'bz2') return input;
    // Node has no bzip2; Buildbot workers only send it when a step asks for compress='bz2'.
    const child = spawn('bzip2', ['-dc'], { stdio: ['pipe', 'pipe', 'ignore'] });
    child.on('error', (err) => child.stdout.destroy(new Error(`cannot decompress a bz2 directory upload: ${err.message}; install bzip2 on the master or use compress: 'gz'`)));
    input.pipe(child.stdin);
    child.stdin.on('error', () => {});
    return child.stdout;
  }
}
