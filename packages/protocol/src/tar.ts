/**
 * A small, dependency-free tar writer and safe extractor, shared by the worker (upload_directory
 * packs a directory) and the master (unpacks it into the build's destination).
 *
 * Writer: ustar headers, with a PAX extended header for names, link targets or sizes that ustar
 * cannot hold. Reader: ustar, PAX (`x`, `g`) and GNU long names (`L`, `K`), octal or base-256 sizes.
 *
 * Extraction is the dangerous half, so it refuses by default everything that could write outside
 * the target directory: absolute names, `..` components, symlinks and hardlinks pointing outside,
 * and writing through a symlink that already exists (or that an earlier entry created).
 */
import { constants as fsc, promises as fsp } from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';

const BLOCK = 512;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** Path inside the archive, `/`-separated, without a trailing slash. */
  name: string;
  type: TarEntryType;
  size: number;
  mode: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
}

/** Raised for a malformed archive or an entry that extraction refuses; `code` is stable. */
export class TarError extends Error {
  constructor(readonly code: 'TAR_MALFORMED' | 'TAR_UNSAFE_PATH' | 'TAR_UNSAFE_LINK' | 'TAR_TOO_LARGE' | 'TAR_TOO_MANY_ENTRIES',
    message: string, readonly entryName?: string) {
    super(message);
    this.name = 'TarError';
  }
}

// ---------------------------------------------------------------------------------------------
// Writer

function writeString(buf: Buffer, offset: number, length: number, value: string): void {
  buf.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'utf8');
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  // length-1 octal digits then NUL, as GNU tar and Python's tarfile do.
  writeString(buf, offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
}

function fitsUstarName(name: string): { name: string; prefix: string } | null {
  if (!/^[\x20-\x7e]*$/.test(name)) return null;
  if (name.length <= 100) return { name, prefix: '' };
  // ustar may split a long path at a slash: prefix (<=155) + '/' + name (<=100).
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/') continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (rest.length > 100) break;
    if (prefix.length <= 155 && rest.length > 0) return { name: rest, prefix };
  }
  return null;
}

const TYPEFLAG: Record<TarEntryType, string> = { file: '0', hardlink: '1', symlink: '2', directory: '5', other: '0' };
const MAX_OCTAL_SIZE = 0o77777777777;

function header(entry: TarEntry & { typeflag?: string }, nameParts: { name: string; prefix: string }, linkname: string, size: number): Buffer {
  const buf = Buffer.alloc(BLOCK);
  writeString(buf, 0, 100, nameParts.name);
  writeOctal(buf, 100, 8, entry.mode & 0o7777);
  writeOctal(buf, 108, 8, 0);
  writeOctal(buf, 116, 8, 0);
  writeOctal(buf, 124, 12, size);
  writeOctal(buf, 136, 12, Math.max(0, Math.floor(entry.mtime)));
  buf.write('        ', 148, 'latin1');
  buf.write(entry.typeflag ?? TYPEFLAG[entry.type], 156, 'latin1');
  writeString(buf, 157, 100, linkname);
  buf.write('ustar\0' + '00', 257, 'latin1');
  writeString(buf, 345, 155, nameParts.prefix);
  return sealTarHeader(buf);
}

/**
 * Writes a header block's checksum (the sum of its bytes, the checksum field counted as spaces).
 * Exported for tests that edit a header's fields and need only the edit to be wrong.
 */
export function sealTarHeader(block: Buffer): Buffer {
  block.write('        ', 148, 'latin1');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += block[i]!;
  writeString(block, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** The header block(s) for one entry: a PAX header first when ustar fields cannot hold it. */
export function encodeTarHeader(entry: TarEntry): Buffer {
  const name = entry.type === 'directory' ? `${entry.name}/` : entry.name;
  const parts = fitsUstarName(name);
  const linkFits = /^[\x20-\x7e]*$/.test(entry.linkname) && entry.linkname.length <= 100;
  const size = entry.type === 'file' ? entry.size : 0;
  const records: string[] = [];
  if (!parts) records.push(paxRecord('path', name));
  if (!linkFits) records.push(paxRecord('linkpath', entry.linkname));
  if (size > MAX_OCTAL_SIZE) records.push(paxRecord('size', String(size)));
  const main = header(entry, parts ?? { name: name.slice(0, 100).replace(/[^\x20-\x7e]/g, '_'), prefix: '' },
    linkFits ? entry.linkname : '', size > MAX_OCTAL_SIZE ? 0 : size);
  if (!records.length) return main;
  const pax = Buffer.from(records.join(''), 'utf8');
  const paxHeader = header({ ...entry, typeflag: 'x', name: 'PaxHeader' }, { name: 'PaxHeader', prefix: '' }, '', pax.length);
  return Buffer.concat([paxHeader, pax, padding(pax.length), main]);
}

export interface PackOptions {
  /** Compress the archive with gzip. */
  gzip?: boolean;
  /** Bytes read from each file per chunk (default 64 KiB). */
  readChunkSize?: number;
}

async function* walk(root: string, rel: string): AsyncGenerator<{ rel: string; full: string }> {
  const full = rel ? path.join(root, rel) : root;
  const names = (await fsp.readdir(full)).sort();
  for (const name of names) {
    const childRel = rel ? `${rel}/${name}` : name;
    yield { rel: childRel, full: path.join(root, childRel) };
    const st = await fsp.lstat(path.join(root, childRel));
    if (st.isDirectory()) yield* walk(root, childRel);
  }
}

async function* packEntries(dir: string, chunkSize: number): AsyncGenerator<Buffer> {
  for await (const { rel, full } of walk(dir, '')) {
    const st = await fsp.lstat(full);
    const base = { name: rel, mode: st.mode, mtime: st.mtimeMs / 1000, size: 0, linkname: '' };
    if (st.isDirectory()) yield encodeTarHeader({ ...base, type: 'directory' });
    else if (st.isSymbolicLink()) yield encodeTarHeader({ ...base, type: 'symlink', linkname: await fsp.readlink(full) });
    else if (st.isFile()) {
      const fh = await fsp.open(full, 'r');
      try {
        // The size announced in the header is what we send, even if the file grows meanwhile.
        yield encodeTarHeader({ ...base, type: 'file', size: st.size });
        let left = st.size;
        while (left > 0) {
          const buf = Buffer.alloc(Math.min(chunkSize, left));
          const { bytesRead } = await fh.read(buf, 0, buf.length, st.size - left);
          if (bytesRead === 0) { yield Buffer.alloc(left); break; } // file shrank: pad with zeros
          left -= bytesRead;
          yield bytesRead === buf.length ? buf : buf.subarray(0, bytesRead);
        }
        yield padding(st.size);
      } finally { await fh.close(); }
    }
    // Sockets, fifos and devices are skipped, as they carry no content worth uploading.
  }
  yield ZERO_BLOCK;
  yield ZERO_BLOCK;
}

/** A readable stream of a tar archive of `dir`'s contents (names relative to `dir`). */
export function packDirectory(dir: string, options: PackOptions = {}): Readable {
  const raw = Readable.from(packEntries(dir, options.readChunkSize ?? 64 * 1024), { objectMode: false });
  if (!options.gzip) return raw;
  const gz = createGzip();
  raw.on('error', (err) => gz.destroy(err));
  return raw.pipe(gz);
}

// ---------------------------------------------------------------------------------------------
// Parser

export type TarEvent =
  | { kind: 'entry'; entry: TarEntry }
  | { kind: 'data'; data: Buffer }
  | { kind: 'entryEnd' }
  | { kind: 'end' };

function readString(buf: Buffer, offset: number, length: number): string {
  const slice = buf.subarray(offset, offset + length);
  const nul = slice.indexOf(0);
  return (nul === -1 ? slice : slice.subarray(0, nul)).toString('utf8');
}

function readNumber(buf: Buffer, offset: number, length: number, field: string): number {
  if (buf[offset]! & 0x80) {
    // GNU base-256: big-endian two's complement, first byte's high bit is the marker.
    let value = buf[offset]! & 0x7f;
    for (let i = 1; i < length; i++) value = value * 256 + buf[offset + i]!;
    if (!Number.isSafeInteger(value)) throw new TarError('TAR_MALFORMED', `tar header field ${field} is too large`);
    return value;
  }
  const text = readString(buf, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new TarError('TAR_MALFORMED', `tar header field ${field} is not an octal number: ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = parseInt(data.subarray(pos, space).toString('latin1'), 10);
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length) throw new TarError('TAR_MALFORMED', 'malformed PAX extended header');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out[record.slice(0, eq)] = record.slice(eq + 1);
    pos += len;
  }
  return out;
}

const TYPE_BY_FLAG: Record<string, TarEntryType> = { '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory' };
/** Metadata entries (PAX, GNU long names) are buffered in memory; this bounds them. */
const MAX_META_SIZE = 1024 * 1024;

/** Incremental tar parser: push bytes, get events. Knows nothing about the file system. */
export class TarParser {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private state: 'header' | 'data' | 'meta' | 'padding' | 'done' = 'header';
  private remaining = 0;
  private paddingLeft = 0;
  private metaType = '';
  private meta: Buffer[] = [];
  private overrides: Record<string, string> = {};
  private globalOverrides: Record<string, string> = {};
  private zeroBlocks = 0;
  private sawHeader = false;

  get finished(): boolean { return this.state === 'done'; }

  push(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    if (this.state === 'done') return events;
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    for (;;) {
      if (this.state === 'data') {
        if (this.pendingLength === 0) break;
        const data = this.take(Math.min(this.remaining, this.pendingLength));
        this.remaining -= data.length;
        events.push({ kind: 'data', data });
        if (this.remaining === 0) this.endEntry(events);
        continue;
      }
      if (this.state === 'meta') {
        if (this.pendingLength === 0) break;
        const data = this.take(Math.min(this.remaining, this.pendingLength));
        this.meta.push(data);
        this.remaining -= data.length;
        if (this.remaining === 0) this.finishMeta();
        continue;
      }
      if (this.state === 'padding') {
        if (this.pendingLength === 0 && this.paddingLeft > 0) break;
        const n = Math.min(this.paddingLeft, this.pendingLength);
        if (n) this.take(n);
        this.paddingLeft -= n;
        if (this.paddingLeft === 0) this.state = 'header';
        continue;
      }
      if (this.pendingLength < BLOCK) break;
      this.readHeader(this.take(BLOCK), events);
      if (this.finished) break;
    }
    return events;
  }

  /** Call at the end of input: throws if the archive was cut short. */
  end(): TarEvent[] {
    if (this.state === 'done') return [];
    if (this.state === 'header' && this.pendingLength === 0 && this.zeroBlocks > 0) { this.state = 'done'; return [{ kind: 'end' }]; }
    if (this.state === 'header' && this.pendingLength === 0) {
      // Nothing at all is no archive (as Python's tarfile says too): a cut or failed upload.
      if (!this.sawHeader) throw new TarError('TAR_MALFORMED', 'the archive is empty (0 bytes): not a tar archive');
      // Some writers omit the two zero blocks; accept a clean end between entries.
      this.state = 'done';
      return [{ kind: 'end' }];
    }
    throw new TarError('TAR_MALFORMED', 'tar archive is truncated');
  }

  private take(n: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length ? [rest] : [];
    this.pendingLength = rest.length;
    return out;
  }

  private endEntry(events: TarEvent[]): void {
    events.push({ kind: 'entryEnd' });
    this.state = 'padding';
  }

  private finishMeta(): void {
    const data = Buffer.concat(this.meta);
    this.meta = [];
    if (this.metaType === 'x') Object.assign(this.overrides, parsePax(data));
    else if (this.metaType === 'g') Object.assign(this.globalOverrides, parsePax(data));
    else if (this.metaType === 'L') this.overrides.path = readString(data, 0, data.length);
    else if (this.metaType === 'K') this.overrides.linkpath = readString(data, 0, data.length);
    this.state = 'padding';
  }

  private readHeader(block: Buffer, events: TarEvent[]): void {
    this.sawHeader = true;
    if (block.equals(ZERO_BLOCK)) {
      this.zeroBlocks++;
      if (this.zeroBlocks >= 2) { this.state = 'done'; events.push({ kind: 'end' }); }
      return;
    }
    this.zeroBlocks = 0;
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    const stored = readNumber(block, 148, 8, 'chksum');
    if (stored !== sum) throw new TarError('TAR_MALFORMED', 'tar header checksum mismatch (not a tar archive, or corrupted)');
    const typeflag = String.fromCharCode(block[156]!);
    const size = readNumber(block, 124, 12, 'size');
    this.paddingLeft = (BLOCK - (size % BLOCK)) % BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > MAX_META_SIZE) throw new TarError('TAR_TOO_LARGE', `tar metadata entry of ${size} bytes exceeds ${MAX_META_SIZE}`);
      this.metaType = typeflag;
      this.remaining = size;
      this.state = size === 0 ? 'padding' : 'meta';
      return;
    }
    const o = { ...this.globalOverrides, ...this.overrides };
    this.overrides = {};
    const magic = block.subarray(257, 262).toString('latin1');
    const prefix = magic === 'ustar' ? readString(block, 345, 155) : '';
    let name = o.path ?? (prefix ? `${prefix}/${readString(block, 0, 100)}` : readString(block, 0, 100));
    const type: TarEntryType = TYPE_BY_FLAG[typeflag] ?? 'other';
    const realSize = o.size !== undefined ? Number(o.size) : size;
    if (!Number.isSafeInteger(realSize) || realSize < 0) throw new TarError('TAR_MALFORMED', 'invalid entry size');
    if (o.size !== undefined) this.paddingLeft = (BLOCK - (realSize % BLOCK)) % BLOCK;
    name = name.replace(/\/+$/, '');
    const entry: TarEntry = {
      name, type, size: realSize,
      mode: readNumber(block, 100, 8, 'mode'),
      mtime: o.mtime !== undefined ? Number(o.mtime) : readNumber(block, 136, 12, 'mtime'),
      linkname: o.linkpath ?? readString(block, 157, 100),
    };
    events.push({ kind: 'entry', entry });
    // Only regular files carry data we expose; other types' data (if any) is skipped as padding.
    const dataSize = type === 'directory' || type === 'symlink' || type === 'hardlink' ? 0 : realSize;
    if (dataSize > 0) { this.remaining = dataSize; this.state = 'data'; }
    else { this.paddingLeft += dataSize === 0 && realSize > 0 && type !== 'file' ? realSize : 0; this.endEntry(events); }
  }
}

// ---------------------------------------------------------------------------------------------
// Safe extraction

export interface ExtractOptions {
  /** Refuse the archive once this many bytes of file content were written (default 4 GiB). */
  maxBytes?: number;
  /** Refuse the archive once it has more entries than this (default 1,000,000). */
  maxEntries?: number;
  /** Input is gzip-compressed: true, false, or 'auto' to detect by magic bytes (default 'auto'). */
  gzip?: boolean | 'auto';
  /** Restore file modes (permission bits only, never setuid/setgid; default true). */
  preserveMode?: boolean;
  /**
   * What to do with a symlink whose target is absolute (`venv/bin/python -> /usr/bin/python3`):
   * 'refuse' fails the archive (default); 'skip' extracts everything else and lists the link in
   * `skippedSymlinks`. Such a link is never created: it could point anywhere, and a later entry
   * written through it would land outside the target directory.
   */
  absoluteSymlinks?: 'refuse' | 'skip';
}

export interface ExtractResult {
  entries: number;
  bytes: number;
  /** Entries of types that carry nothing to extract (devices, fifos). */
  skipped: string[];
  /** Symlinks left out by `absoluteSymlinks: 'skip'`, in archive order. */
  skippedSymlinks: Array<{ name: string; target: string }>;
}

export const DEFAULT_EXTRACT_MAX_BYTES = 4 * 1024 ** 3;
export const DEFAULT_EXTRACT_MAX_ENTRIES = 1_000_000;

/** Validates an archive member name; returns its `/`-separated components. */
export function safeEntryComponents(name: string): string[] {
  const unified = name.replace(/\\/g, '/');
  if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) {
    throw new TarError('TAR_UNSAFE_PATH', `refusing tar entry with an absolute path: ${JSON.stringify(name)}`, name);
  }
  const parts = unified.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new TarError('TAR_UNSAFE_PATH', `refusing tar entry with a '..' component: ${JSON.stringify(name)}`, name);
  if (parts.some((p) => p.includes('\0'))) throw new TarError('TAR_UNSAFE_PATH', `refusing tar entry with a NUL byte: ${JSON.stringify(name)}`, name);
  return parts;
}

/**
 * Why a relative symlink target could lead outside the extraction root, or null when it cannot.
 * The file system resolves `..` after following links, not on the text: with `y -> .` in the root,
 * `x -> y/..` reads as `.` but is the root's parent. So `..` may only open the target (climbing
 * real directories, at most `depth` of them: the link's own directory is that deep below the root),
 * and everything after it must go down; any link it passes through was held to the same rule.
 */
export function symlinkEscape(depth: number, target: string): string | null {
  let climbs = 0;
  let descended = false;
  for (const part of target.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') { descended = true; continue; }
    if (descended) return "a '..' after a name can climb out of a directory another link leads to";
    if (++climbs > depth) return 'it points outside the target directory';
  }
  return null;
}

class Extractor {
  private file: fsp.FileHandle | null = null;
  private current: TarEntry | null = null;
  private dirTimes: Array<{ target: string; mtime: number }> = [];
  readonly result: ExtractResult = { entries: 0, bytes: 0, skipped: [], skippedSymlinks: [] };
  private readonly maxBytes: number;
  private readonly maxEntries: number;
  private readonly root: string;
  private rootReady = false;
  /** Components of the deepest directory chain below the root already checked to be real directories. */
  private checkedParents: string[] = [];

  constructor(root: string, private readonly options: ExtractOptions) {
    this.root = path.resolve(root);
    this.maxBytes = options.maxBytes ?? DEFAULT_EXTRACT_MAX_BYTES;
    this.maxEntries = options.maxEntries ?? DEFAULT_EXTRACT_MAX_ENTRIES;
  }

  async handle(event: TarEvent): Promise<void> {
    if (event.kind === 'entry') await this.begin(event.entry);
    else if (event.kind === 'data') {
      this.result.bytes += event.data.length;
      if (this.result.bytes > this.maxBytes) throw new TarError('TAR_TOO_LARGE', `archive content exceeds the limit of ${this.maxBytes} bytes`);
      if (this.file) await this.file.write(event.data);
    } else if (event.kind === 'entryEnd') await this.finishEntry();
    else if (event.kind === 'end') await this.finishArchive();
  }

  async abort(): Promise<void> {
    if (this.file) { await this.file.close().catch(() => undefined); this.file = null; }
  }

  /**
   * Creates missing parent directories, refusing to traverse any symlink below the root.
   * The parents of the previous entry are remembered as checked: archives list a directory's
   * members together, and a directory this extraction saw as a real directory stays one (no entry
   * can replace a directory, only fail on it). Without that, every entry of a chain n directories
   * deep would look up all n parents again, each a lookup of up to n components: a 2,000-level
   * chain took minutes of file system calls.
   */
  private async prepareParents(parts: string[], entryName: string): Promise<string> {
    if (!this.rootReady) { await fsp.mkdir(this.root, { recursive: true }); this.rootReady = true; }
    const parents = parts.slice(0, -1);
    let same = 0;
    while (same < parents.length && same < this.checkedParents.length && parents[same] === this.checkedParents[same]) same++;
    this.checkedParents = this.checkedParents.slice(0, same);
    let dir = path.join(this.root, ...parents.slice(0, same));
    for (const part of parents.slice(same)) {
      dir = path.join(dir, part);
      const st = await fsp.lstat(dir).catch(() => null);
      if (!st) await fsp.mkdir(dir);
      else if (st.isSymbolicLink()) throw new TarError('TAR_UNSAFE_LINK', `refusing tar entry ${JSON.stringify(entryName)}: it would be written through the symlink ${JSON.stringify(part)}`, entryName);
      else if (!st.isDirectory()) throw new TarError('TAR_MALFORMED', `tar entry ${JSON.stringify(entryName)} needs ${JSON.stringify(part)} to be a directory, but it is a file`, entryName);
      this.checkedParents.push(part);
    }
    return path.join(this.root, ...parts);
  }

  /** Removes whatever non-directory sits at `target` so we never write through it. */
  private async clearLeaf(target: string): Promise<void> {
    const st = await fsp.lstat(target).catch(() => null);
    if (st && !st.isDirectory()) await fsp.unlink(target);
  }

  private async begin(entry: TarEntry): Promise<void> {
    this.current = entry;
    if (++this.result.entries > this.maxEntries) throw new TarError('TAR_TOO_MANY_ENTRIES', `archive has more than ${this.maxEntries} entries`);
    const parts = safeEntryComponents(entry.name);
    if (parts.length === 0) return; // the archive root itself ('.' or '')
    const target = await this.prepareParents(parts, entry.name);
    const mode = this.options.preserveMode === false ? undefined : entry.mode & 0o777;
    switch (entry.type) {
      case 'directory': {
        const st = await fsp.lstat(target).catch(() => null);
        if (st && !st.isDirectory()) await fsp.unlink(target);
        if (!st || !st.isDirectory()) await fsp.mkdir(target);
        if (mode !== undefined) await fsp.chmod(target, mode | 0o700);
        this.dirTimes.push({ target, mtime: entry.mtime });
        break;
      }
      case 'file': {
        await this.clearLeaf(target);
        // O_NOFOLLOW|O_EXCL: if something raced a symlink in, the open fails instead of following it.
        const flags = fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | (fsc.O_NOFOLLOW ?? 0);
        this.file = await fsp.open(target, flags, mode ?? 0o644);
        break;
      }
      case 'symlink': {
        const link = entry.linkname.replace(/\\/g, '/');
        const absolute = link.startsWith('/') || /^[A-Za-z]:/.test(link);
        if (absolute && this.options.absoluteSymlinks === 'skip') {
          this.result.skippedSymlinks.push({ name: entry.name, target: entry.linkname });
          break;
        }
        if (absolute) throw new TarError('TAR_UNSAFE_LINK', `refusing symlink ${JSON.stringify(entry.name)} -> ${JSON.stringify(entry.linkname)}: absolute target`, entry.name);
        const escapesTo = symlinkEscape(parts.length - 1, link);
        if (escapesTo) throw new TarError('TAR_UNSAFE_LINK', `refusing symlink ${JSON.stringify(entry.name)} -> ${JSON.stringify(entry.linkname)}: ${escapesTo}`, entry.name);
        await this.clearLeaf(target);
        await fsp.symlink(entry.linkname, target);
        break;
      }
      case 'hardlink': {
        const sourceParts = safeEntryComponents(entry.linkname);
        if (!sourceParts.length) throw new TarError('TAR_UNSAFE_LINK', `refusing hardlink ${JSON.stringify(entry.name)} to the archive root`, entry.name);
        // The source must be an entry already extracted inside the root, reached without symlinks.
        const source = await this.prepareParents(sourceParts, entry.name);
        const st = await fsp.lstat(source).catch(() => null);
        if (!st || !st.isFile()) throw new TarError('TAR_UNSAFE_LINK', `refusing hardlink ${JSON.stringify(entry.name)} -> ${JSON.stringify(entry.linkname)}: the target is not a file extracted from this archive`, entry.name);
        await this.clearLeaf(target);
        await fsp.link(source, target);
        break;
      }
      default:
        this.result.skipped.push(entry.name);
    }
  }

  private async finishEntry(): Promise<void> {
    const entry = this.current;
    if (this.file) {
      await this.file.close();
      this.file = null;
      if (entry) {
        const target = path.join(this.root, ...safeEntryComponents(entry.name));
        await fsp.utimes(target, entry.mtime, entry.mtime).catch(() => undefined);
      }
    }
    this.current = null;
  }

  private async finishArchive(): Promise<void> {
    // Directory times last, since creating their children changed them.
    for (const { target, mtime } of this.dirTimes.reverse()) await fsp.utimes(target, mtime, mtime).catch(() => undefined);
  }
}

/**
 * A writable stream that extracts a tar archive (optionally gzip-compressed) into `targetDir`.
 * It errors with a TarError on the first unsafe or malformed entry; what was written before stays.
 * `result` resolves when the whole archive was extracted.
 */
export function createTarExtractor(targetDir: string, options: ExtractOptions = {}): Writable & { result: Promise<ExtractResult> } {
  const parser = new TarParser();
  const extractor = new Extractor(targetDir, options);
  let resolveResult!: (r: ExtractResult) => void;
  let rejectResult!: (e: Error) => void;
  const result = new Promise<ExtractResult>((res, rej) => { resolveResult = res; rejectResult = rej; });
  result.catch(() => undefined);
  // Once destroyed, no further entry is written, and destroy waits for the one in progress: after
  // the stream closed, nothing more lands in the target (a caller may be about to remove it).
  let stopped = false;
  let inflight: Promise<void> = Promise.resolve();
  const run = async (events: TarEvent[]) => { for (const ev of events) { if (stopped) return; await extractor.handle(ev); } };
  // The parser throws on a malformed archive. It runs inside stream callbacks, where a throw would
  // escape the pipeline as an uncaught exception (and take the whole process down): it is caught
  // here and handed to the callback, so the stream errors instead.
  const feed = (parse: () => TarEvent[], cb: (err?: Error | null) => void) => {
    let events: TarEvent[];
    try { events = parse(); } catch (err) { cb(err as Error); return; }
    inflight = run(events);
    inflight.then(() => cb(), cb);
  };

  const tarSink = new Writable({
    write(chunk: Buffer, _enc, cb) { feed(() => parser.push(chunk), cb); },
    final(cb) { feed(() => parser.end(), (err) => { if (!err) resolveResult(extractor.result); cb(err); }); },
    destroy(err, cb) {
      stopped = true;
      inflight.catch(() => undefined).then(() => extractor.abort()).finally(() => {
        rejectResult(err ?? new TarError('TAR_MALFORMED', 'tar extraction was aborted before the archive ended'));
        cb(err);
      });
    },
  });

  const mode = options.gzip ?? 'auto';
  if (mode === false) return Object.assign(tarSink, { result });

  // Gzip (or auto-detection): a front stream decides on the first bytes, then forwards.
  let gunzip: ReturnType<typeof createGunzip> | null = null;
  let decided = mode === true ? 'gzip' : '';
  let head = Buffer.alloc(0);
  const forward = (chunk: Buffer, cb: (err?: Error | null) => void) => {
    if (gunzip) { if (gunzip.write(chunk)) cb(); else gunzip.once('drain', () => cb()); }
    else if (tarSink.write(chunk)) cb(); else tarSink.once('drain', () => cb());
  };
  const decide = () => {
    if (!decided) decided = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b ? 'gzip' : 'plain';
    if (decided === 'gzip' && !gunzip) {
      gunzip = createGunzip();
      gunzip.on('error', (err) => front.destroy(new TarError('TAR_MALFORMED', `the archive's gzip stream is corrupt (${err.message}); the worker sent a damaged or non-gzip archive`)));
      gunzip.pipe(tarSink);
    }
  };
  tarSink.on('error', (err) => front.destroy(err));
  const front: Writable = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (!decided) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 2) { cb(); return; }
        decide();
        chunk = head;
      } else if (!gunzip) decide();
      forward(chunk, cb);
    },
    final(cb) {
      const finishWith = (stream: Writable) => { stream.end(); };
      if (!decided) { decide(); if (head.length) { forward(head, () => undefined); } }
      tarSink.once('finish', () => cb());
      tarSink.once('error', (err) => cb(err));
      finishWith(gunzip ?? tarSink);
    },
    destroy(err, cb) {
      gunzip?.destroy();
      // Closed only once the extraction behind it stopped writing.
      if (tarSink.closed) { cb(err); return; }
      tarSink.once('close', () => cb(err));
      tarSink.destroy(err ?? undefined);
    },
  });
  return Object.assign(front, { result });
}

/** Extracts a whole archive held in memory. */
export async function extractTarBuffer(data: Buffer, targetDir: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const sink = createTarExtractor(targetDir, options);
  await new Promise<void>((resolve, reject) => {
    sink.on('error', reject);
    sink.end(data, () => resolve());
  });
  return sink.result;
}
