/**
 * Master side of `upload_directory`: the worker streams a tar (`update_upload_directory_write`),
 * then asks for `update_upload_directory_unpack`. The tar is spooled to a temporary file and then
 * extracted with mastro-protocol's safe extractor, which refuses `..`, absolute names and link
 * escapes, so nothing lands outside `masterDest`. Symlinks to absolute paths (common in Python
 * virtualenvs) are left out rather than failing the upload, as Buildbot extracts the rest too; the
 * step's log says which (`UnpackResult.notice`).
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createTarExtractor, TarError } from 'mastro-protocol/tar';
import { FileWriter } from './file-writer.js';
import { DEFAULT_MAX_UPLOAD_ENTRIES } from './options.js';

export interface DirectoryWriterOptions {
  maxsize?: number | null;
  compress?: 'gz' | 'bz2' | null;
  /** The master's hard cap on the tar size and on the extracted bytes (`maxUploadSize`). */
  hardLimit: number;
  /** Most entries (files, directories, links) the tree may have (`maxUploadEntries`, default 100,000). */
  maxEntries?: number;
  tmpDir?: string;
}

export interface UnpackResult {
  entries: number;
  bytes: number;
  /** Absolute symlinks that were not created, in archive order. */
  skippedSymlinks: Array<{ name: string; target: string }>;
  /** A line or two for the step's log when something was left out; null when nothing was. */
  notice: string | null;
}

/** How many skipped links a notice names before it only counts the rest. */
const NOTICE_MAX_NAMES = 20;

function skippedNotice(skipped: UnpackResult['skippedSymlinks']): string | null {
  if (!skipped.length) return null;
  const shown = skipped.slice(0, NOTICE_MAX_NAMES).map((s) => `  ${s.name} -> ${s.target}\n`).join('');
  const more = skipped.length > NOTICE_MAX_NAMES ? `  ... and ${skipped.length - NOTICE_MAX_NAMES} more\n` : '';
  return `upload_directory: skipped ${skipped.length} symlink${skipped.length === 1 ? '' : 's'} to absolute paths ` +
    `(the master never creates those: they could point anywhere on it); everything else was extracted:\n${shown}${more}`;
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
  async unpack(): Promise<UnpackResult> {
    const maxEntries = this.options.maxEntries ?? DEFAULT_MAX_UPLOAD_ENTRIES;
    try {
      await this.spool.close();
      await this.spool.commit();
      await mkdir(this.destination, { recursive: true });
      const source = this.decompressed(createReadStream(this.tarPath));
      // gzip is auto-detected by the extractor; bz2 is decompressed by the system's bzip2 above.
      const sink = createTarExtractor(this.destination, { maxBytes: this.options.hardLimit, maxEntries, gzip: 'auto', absoluteSymlinks: 'skip' });
      try {
        await pipeline(source, sink);
      } catch (err) {
        throw limitError(err, maxEntries, this.options.hardLimit);
      }
      const r = await sink.result;
      return { entries: r.entries, bytes: r.bytes, skippedSymlinks: r.skippedSymlinks, notice: skippedNotice(r.skippedSymlinks) };
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

/** The extractor's limit errors, reworded to name the master option that sets the limit. */
function limitError(err: unknown, maxEntries: number, maxBytes: number): unknown {
  if (!(err instanceof TarError)) return err;
  if (err.code === 'TAR_TOO_MANY_ENTRIES') {
    return new TarError(err.code, `the uploaded tree has more than ${maxEntries} files, directories and links, the master's maxUploadEntries (protocols.msgpack.maxUploadEntries); raise it or upload fewer files (an archive of the tree, for example)`, err.entryName);
  }
  if (err.code === 'TAR_TOO_LARGE' && /exceeds the limit/.test(err.message)) {
    return new TarError(err.code, `the uploaded tree holds more than ${maxBytes} bytes, the master's maxUploadSize (protocols.msgpack.maxUploadSize); raise it or upload less`, err.entryName);
  }
  return err;
}
