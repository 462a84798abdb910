/**
 * Master side of `upload_directory`: the worker streams a tar (`update_upload_directory_write`),
 * then asks for `update_upload_directory_unpack`. The tar is spooled to a temporary file and then
 * extracted with mastro-protocol's safe extractor, which refuses `..`, absolute names and link
 * escapes, so nothing lands outside `masterDest`. Symlinks to absolute paths (common in Python
 * virtualenvs) are left out rather than failing the upload, as Buildbot extracts the rest too; the
 * step's log says which (`UnpackResult.notice`).
 *
 * The tree is extracted into a staging directory inside the destination and merged into it only
 * at commit, when the command succeeded; a refused upload (over the step's `maxsize` or
 * `maxEntries` or the master's limits, cut short, malformed) leaves nothing: cancel removes the
 * spool file, the staging tree however deep, and the destination if this upload created it.
 */
import { createReadStream } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import { createTarExtractor, TarError } from 'mastro-protocol/tar';
import { FileWriter } from './file-writer.js';
import { DEFAULT_MAX_UPLOAD_ENTRIES } from './options.js';
import { mergeTree } from './merge-tree.js';
import { removeTree } from './remove-tree.js';

export interface DirectoryWriterOptions {
  /**
   * The step's `maxsize`: the most bytes the worker may send (the tar, as in Buildbot) and the most
   * bytes of file content the tree may hold once extracted (a small gzip can expand a thousandfold).
   */
  maxsize?: number | null;
  /** The step's `maxEntries`: the most files, directories and links the tree may have (within `maxEntries`). */
  stepMaxEntries?: number | null;
  compress?: 'gz' | 'bz2' | null;
  /** The master's hard cap on the tar size and on the extracted bytes (`maxUploadSize`). */
  hardLimit: number;
  /** Most entries (files, directories, links) the tree may have (`maxUploadEntries`, default 100,000). */
  maxEntries?: number;
  tmpDir?: string;
  /** Told when a refused upload's leftovers could not be removed (the master logs it). */
  onCleanupError?: (err: unknown, path: string) => void;
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

interface Limits {
  bytes: number;
  bytesBy: 'step' | 'master';
  entries: number;
  entriesBy: 'step' | 'master';
}

export class DirectoryWriter {
  readonly destination: string;
  private readonly spool: FileWriter;
  private readonly tarPath: string;
  /** Where the tree is extracted before it is moved into place: inside the destination, so on its file system. */
  private readonly staging: string;
  /** The first directory unpack had to create for the destination; removed again if the upload does not complete. */
  private createdDestination: string | null = null;
  private unpacked = false;
  private unpacking: Promise<void> = Promise.resolve();
  private readonly stop = new AbortController();

  constructor(destination: string, private readonly options: DirectoryWriterOptions) {
    this.destination = resolve(destination);
    const dir = options.tmpDir || tmpdir();
    this.tarPath = join(dir, `mastro-dirupload-${randomBytes(8).toString('hex')}.tar`);
    this.staging = join(this.destination, `.mastro-upload-${randomBytes(8).toString('hex')}`);
    this.spool = new FileWriter(this.tarPath, { maxsize: options.maxsize, hardLimit: options.hardLimit }, dir);
  }

  write(data: unknown): Promise<void> { return this.spool.write(data); }

  /**
   * Extracts the received archive into the staging directory, then removes the spool file. The
   * destination changes only at commit; a refused or failed upload is removed by cancel.
   */
  unpack(): Promise<UnpackResult> {
    const run = this.extract();
    this.unpacking = run.then(() => undefined, () => undefined);
    return run;
  }

  private async extract(): Promise<UnpackResult> {
    const limits = this.limits();
    try {
      await this.spool.close();
      await this.spool.commit();
      const created = await mkdir(this.destination, { recursive: true });
      this.createdDestination ??= created ?? null;
      // Made here, not by the first entry: an archive of an empty directory has none.
      await mkdir(this.staging, { recursive: true });
      const source = this.decompressed(createReadStream(this.tarPath));
      // gzip is auto-detected by the extractor; bz2 is decompressed by the system's bzip2 above.
      const sink = createTarExtractor(this.staging, { maxBytes: limits.bytes, maxEntries: limits.entries, gzip: 'auto', absoluteSymlinks: 'skip' });
      try {
        await pipeline(source, sink, { signal: this.stop.signal });
      } catch (err) {
        // pipeline() may settle before the extractor finished the entry it was writing: its close says so.
        if (!sink.closed) await new Promise((resolve) => sink.once('close', resolve));
        if (this.stop.signal.aborted) throw new Error('the directory upload was cancelled while it was being unpacked');
        throw limitError(err, limits);
      }
      const r = await sink.result;
      this.unpacked = true;
      return { entries: r.entries, bytes: r.bytes, skippedSymlinks: r.skippedSymlinks, notice: skippedNotice(r.skippedSymlinks) };
    } finally {
      await rm(this.tarPath, { force: true });
    }
  }

  /** The command completed successfully: the extracted tree moves into the destination. */
  async commit(): Promise<void> {
    if (!this.unpacked) throw new Error('the worker reported success but never asked the master to unpack the directory (update_upload_directory_unpack)');
    await mergeTree(this.staging, this.destination);
    this.createdDestination = null;
    await removeTree(this.staging);
  }

  /** Drops everything this upload wrote: the spool file, the extracted tree, a destination it created. Never throws. */
  async cancel(): Promise<void> {
    // An unpack still running (the worker went away meanwhile) stops first, or it would go on
    // writing into what is being removed.
    this.stop.abort();
    await this.unpacking;
    await this.spool.cancel();
    await this.tidy(this.tarPath, () => rm(this.tarPath, { force: true }));
    await this.tidy(this.staging, () => removeTree(this.staging));
    const created = this.createdDestination;
    this.createdDestination = null;
    if (created) await this.tidy(this.destination, () => removeEmptyChain(this.destination, created));
  }

  private async tidy(what: string, remove: () => Promise<unknown>): Promise<void> {
    try { await remove(); } catch (err) { this.options.onCleanupError?.(err, what); }
  }

  private limits(): Limits {
    const masterEntries = this.options.maxEntries ?? DEFAULT_MAX_UPLOAD_ENTRIES;
    const stepEntries = this.options.stepMaxEntries ?? Infinity;
    const stepBytes = this.options.maxsize ?? Infinity;
    return {
      bytes: Math.min(stepBytes, this.options.hardLimit),
      bytesBy: stepBytes < this.options.hardLimit ? 'step' : 'master',
      entries: Math.min(stepEntries, masterEntries),
      entriesBy: stepEntries < masterEntries ? 'step' : 'master',
    };
  }

  private decompressed(input: Readable): Readable {
    if (this.options.compress !== 'bz2') return input;
    // Node has no bzip2; Buildbot workers only send it when a step asks for compress='bz2'.
    // bzip2 stops at corrupt input with output that reads as a short (even empty) archive: only its
    // exit status tells, so the stream ends only once it exited with 0.
    const child = spawn('bzip2', ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = new PassThrough();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { if (stderr.length < 2000) stderr += d.toString(); });
    child.on('error', (err) => out.destroy(new Error(`cannot decompress a bz2 directory upload: ${err.message}; install bzip2 on the master or use compress: 'gz'`)));
    input.on('error', (err) => out.destroy(err));
    // bzip2 stops reading at corrupt input; the EPIPE that makes is told by its exit status below.
    child.stdin.on('error', () => {});
    child.stdout.pipe(out, { end: false });
    child.on('close', (code, signal) => {
      if (code === 0) { out.end(); return; }
      const why = stderr.trim().split('\n').slice(-2).join(' ') || `bzip2 exited with ${code ?? signal}`;
      out.destroy(new TarError('TAR_MALFORMED', `the bz2 stream is corrupt (${why}); the worker sent a damaged or non-bz2 archive`));
    });
    out.once('close', () => {
      input.destroy();
      if (child.exitCode === null && child.signalCode === null) child.kill();
    });
    input.pipe(child.stdin);
    return out;
  }
}

/** Removes `dir` and its parents up to and including `top`, as far as they are empty (mkdir -p undone). */
async function removeEmptyChain(dir: string, top: string): Promise<void> {
  for (let d = dir; ; d = dirname(d)) {
    try { await rmdir(d); } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') return;
      if (code !== 'ENOENT') throw err;
    }
    if (d === top || dirname(d) === d) return;
  }
}

/** The extractor's limit errors, reworded to name the option that set the limit. */
function limitError(err: unknown, limits: Limits): unknown {
  if (!(err instanceof TarError)) return err;
  if (err.code === 'TAR_TOO_MANY_ENTRIES') {
    const option = limits.entriesBy === 'step' ? "the step's maxEntries" : "the master's maxUploadEntries (protocols.msgpack.maxUploadEntries)";
    return new TarError(err.code, `the uploaded tree has more than ${limits.entries} files, directories and links, ${option}; raise it or upload fewer files (an archive of the tree, for example)`, err.entryName);
  }
  if (err.code === 'TAR_TOO_LARGE' && /exceeds the limit/.test(err.message)) {
    const option = limits.bytesBy === 'step'
      ? "the step's maxsize (it bounds the extracted files as well as the bytes sent)"
      : "the master's maxUploadSize (protocols.msgpack.maxUploadSize)";
    return new TarError(err.code, `the uploaded tree holds more than ${limits.bytes} bytes, ${option}; raise it or upload less`, err.entryName);
  }
  return err;
}
