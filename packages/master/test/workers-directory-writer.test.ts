/**
 * DirectoryWriter's limits and what a refused upload leaves: the step's `maxsize` bounds the bytes
 * extracted as well as the bytes sent, the step's `maxEntries` the entries; a refused upload (over
 * a limit, cut, malformed) leaves neither the spool file nor any extracted file, however deep, and
 * an existing masterdest exactly as it was. A good upload is merged into masterdest at commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir } from './support/temp-dir.js';
import { gzipSync } from 'node:zlib';
import { encodeTarHeader } from 'mastro-protocol/tar';
import { DirectoryWriter, type DirectoryWriterOptions } from '../src/workers/directory-writer.js';
import { tarOf, type TarMember } from './support/tar-of.js';
import { badArchives } from './support/bad-tars.js';

const MiB = 1024 * 1024;

function setup(t: import('node:test').TestContext, options: Partial<DirectoryWriterOptions> = {}) {
  const root = testTempDir(t, 'dirwriter');
  const spool = join(root, 'spool');
  mkdirSync(spool);
  const dest = join(root, 'master', 'uploads', 'tree');
  const writer = new DirectoryWriter(dest, { hardLimit: 64 * MiB, tmpDir: spool, ...options });
  /** Everything the upload may have left: spool files, masterdest, anything beside it. */
  const leftovers = () => [
    ...readdirSync(spool).map((f) => `spool/${f}`),
    ...(existsSync(join(root, 'master')) ? readdirSync(join(root, 'master'), { recursive: true }).map((f) => `master/${f}`) : []),
  ];
  return { root, dest, writer, leftovers };
}

/** Sends `data` in the worker's blocks, asks for the unpack, and on failure cancels as the command's end does. */
async function upload(writer: DirectoryWriter, data: Buffer): Promise<Error | null> {
  try {
    for (let i = 0; i < data.length; i += 64 * 1024) await writer.write(data.subarray(i, i + 64 * 1024));
    await writer.unpack();
    await writer.commit();
    return null;
  } catch (err) {
    await writer.cancel();
    return err as Error;
  }
}

const files = (n: number, prefix = 'f'): TarMember[] => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}`, type: 'file' as const }));

test("the step's maxsize bounds the bytes extracted: a gzip of a few kilobytes expanding to 8 MiB is refused under maxsize 1 MiB", async (t) => {
  const s = setup(t, { maxsize: 1 * MiB });
  const bomb = gzipSync(tarOf([{ name: 'zeros', type: 'file', content: '\0'.repeat(8 * MiB) }]));
  assert.ok(bomb.length < 1 * MiB / 10, `the gzip is small (${bomb.length} bytes)`);
  const err = await upload(s.writer, bomb);
  assert.equal((err as { code?: string } | null)?.code, 'TAR_TOO_LARGE', String(err));
  assert.match(err!.message, /more than 1048576 bytes, the step's maxsize \(it bounds the extracted files as well as the bytes sent\)/);
  assert.deepEqual(s.leftovers(), []);
});

test("the step's maxEntries bounds the entries below the master's maxUploadEntries, and the error names the step's option", async (t) => {
  const s = setup(t, { stepMaxEntries: 50, maxEntries: 1000 });
  const err = await upload(s.writer, gzipSync(tarOf(files(60))));
  assert.equal((err as { code?: string } | null)?.code, 'TAR_TOO_MANY_ENTRIES', String(err));
  assert.match(err!.message, /more than 50 files, directories and links, the step's maxEntries/);
  assert.deepEqual(s.leftovers(), []);

  const master = setup(t, { stepMaxEntries: 5000, maxEntries: 40 });
  const err2 = await upload(master.writer, tarOf(files(60)));
  assert.match(err2?.message ?? '', /more than 40 files, directories and links, the master's maxUploadEntries/, 'the tighter limit applies');
});

test("more tar bytes than the step's maxsize are refused at unpack, not extracted truncated", async (t) => {
  const s = setup(t, { maxsize: 4096 });
  // Cut at maxsize, this archive would end cleanly after its first entry and look complete.
  const err = await upload(s.writer, tarOf([{ name: 'first', type: 'file', content: 'x'.repeat(3000) }, { name: 'second', type: 'file', content: 'y'.repeat(3000) }]));
  assert.equal((err as { code?: string } | null)?.code, 'upload_over_maxsize', String(err));
  assert.match(err!.message, /more than the step's maxsize of 4096 bytes/);
  assert.deepEqual(s.leftovers(), []);
});

test('a refused upload leaves nothing behind: not the partial file over the size limit', async (t) => {
  const s = setup(t, { hardLimit: 1 * MiB });
  const err = await upload(s.writer, gzipSync(tarOf([{ name: 'small', type: 'file', content: 'ok' }, { name: 'big', type: 'file', content: 'z'.repeat(3 * MiB) }])));
  assert.equal((err as { code?: string } | null)?.code, 'TAR_TOO_LARGE', String(err));
  assert.deepEqual(s.leftovers(), []);
});

test('a refused upload leaves nothing behind: not the thousands of empty files before the entry limit', async (t) => {
  const s = setup(t, { maxEntries: 5000 });
  const err = await upload(s.writer, gzipSync(tarOf([{ name: 'd', type: 'directory' }, ...files(5000, 'd/f')])));
  assert.equal((err as { code?: string } | null)?.code, 'TAR_TOO_MANY_ENTRIES', String(err));
  assert.deepEqual(s.leftovers(), []);
});

test('a refused upload leaves nothing behind: not a 2,000-level directory chain', async (t) => {
  const s = setup(t);
  const blocks: Buffer[] = [];
  let name = '';
  for (let i = 0; i < 2000; i++) {
    name = name ? `${name}/a` : 'a';
    blocks.push(encodeTarHeader({ name, type: 'directory', size: 0, mode: 0o755, mtime: 0, linkname: '' }));
  }
  // Then a header whose checksum is wrong: the archive is refused after the whole chain exists.
  const bad = encodeTarHeader({ name: `${name}/f`, type: 'file', size: 0, mode: 0o644, mtime: 0, linkname: '' });
  bad[0] ^= 1;
  blocks.push(bad, Buffer.alloc(1024));
  const err = await upload(s.writer, gzipSync(Buffer.concat(blocks)));
  assert.equal((err as { code?: string } | null)?.code, 'TAR_MALFORMED', String(err));
  assert.deepEqual(s.leftovers(), []);
});

test('a refused upload leaves an existing masterdest exactly as it was, even for names the upload shares', async (t) => {
  for (const bad of badArchives()) {
    const s = setup(t);
    mkdirSync(join(s.dest, 'sub'), { recursive: true });
    writeFileSync(join(s.dest, 'a.txt'), 'previous build');
    writeFileSync(join(s.dest, 'sub', 'kept'), 'kept');
    const err = await upload(s.writer, bad.data);
    assert.match(err?.message ?? '', bad.reason, bad.kind);
    assert.deepEqual(readdirSync(s.dest, { recursive: true }).sort(), ['a.txt', 'sub', 'sub/kept'], bad.kind);
    assert.equal(readFileSync(join(s.dest, 'a.txt'), 'utf8'), 'previous build', bad.kind);
    assert.deepEqual(readdirSync(join(s.root, 'spool')), [], bad.kind);
  }
});

test('a good upload is merged into an existing masterdest at commit: new names added, files replaced, directories merged', async (t) => {
  const s = setup(t);
  mkdirSync(join(s.dest, 'sub'), { recursive: true });
  writeFileSync(join(s.dest, 'a.txt'), 'previous build');
  writeFileSync(join(s.dest, 'sub', 'kept'), 'kept');
  await s.writer.write(tarOf([
    { name: 'a.txt', type: 'file', content: 'this build' },
    { name: 'sub', type: 'directory' },
    { name: 'sub/new', type: 'file', content: 'new' },
    { name: 'fresh', type: 'directory' },
    { name: 'fresh/x', type: 'file', content: 'x' },
  ]));
  await s.writer.unpack();
  assert.equal(readFileSync(join(s.dest, 'a.txt'), 'utf8'), 'previous build', 'nothing changes before commit');
  await s.writer.commit();
  await s.writer.cancel(); // as the command's end always does: a no-op after commit
  assert.deepEqual(readdirSync(s.dest, { recursive: true }).sort(), ['a.txt', 'fresh', 'fresh/x', 'sub', 'sub/kept', 'sub/new']);
  assert.equal(readFileSync(join(s.dest, 'a.txt'), 'utf8'), 'this build');
  assert.equal(readFileSync(join(s.dest, 'sub', 'kept'), 'utf8'), 'kept');
  assert.ok(lstatSync(join(s.dest, 'fresh')).isDirectory());
});

test('a worker that reports success without asking to unpack gets a failure, not an empty success', async (t) => {
  const s = setup(t);
  await s.writer.write(tarOf([{ name: 'a', type: 'file', content: 'a' }]));
  await assert.rejects(s.writer.commit(), /never asked the master to unpack/);
  await s.writer.cancel();
  assert.deepEqual(s.leftovers(), []);
});

test("a corrupt bz2 stream (compress: 'bz2') is refused, not taken for an empty tree", async (t) => {
  const s = setup(t, { compress: 'bz2' });
  const err = await upload(s.writer, Buffer.from('BZh9 this is not bzip2 data at all'.repeat(20)));
  assert.ok(err, 'the upload fails');
  assert.match(err.message, /bz2/);
  assert.deepEqual(s.leftovers(), []);
});

test('an upload cancelled while it is being unpacked (the worker went away) leaves nothing behind', async (t) => {
  const s = setup(t);
  await s.writer.write(gzipSync(tarOf([{ name: 'd', type: 'directory' }, ...files(3000, 'd/f')])));
  const unpacking = s.writer.unpack().then(() => null, (err: Error) => err);
  // As a lost connection does: cancel in the middle of the extraction, without waiting for it.
  const extracting = () => existsSync(s.dest) && readdirSync(s.dest, { recursive: true }).length > 10;
  const deadline = Date.now() + 60_000;
  while (!extracting() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  assert.ok(extracting(), 'the extraction started');
  await s.writer.cancel();
  assert.ok(await unpacking, 'the unpack fails');
  assert.deepEqual(s.leftovers(), []);
});

test('an upload of an empty directory succeeds and leaves masterdest as an empty directory', async (t) => {
  const s = setup(t);
  // As Python's tarfile writes it for Buildbot's worker: the root entry, then the end blocks.
  const err = await upload(s.writer, tarOf([{ name: '', type: 'directory' }]));
  assert.equal(err, null, String(err));
  assert.deepEqual(readdirSync(s.dest), []);
});
