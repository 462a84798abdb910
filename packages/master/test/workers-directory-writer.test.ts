/**
 * The master's extractor of `upload_directory` tars (workers/directory-writer.ts, DirectoryWriter).
 *
 * Directory uploads a real tree survives, and a bounded number of inodes: a symlink to an absolute
 * path (a Python virtualenv's `bin/python -> /usr/bin/python3`) is left out and named in the step's
 * log instead of failing the whole upload, and the number of entries one upload may create is the
 * option `maxUploadEntries` (default 100,000), named in the error when a tree has more.
 *
 * Its limits and what a refused upload leaves: the step's `maxsize` bounds the bytes
 * extracted as well as the bytes sent, the step's `maxEntries` the entries; a refused upload (over
 * a limit, cut, malformed) leaves neither the spool file nor any extracted file, however deep, and
 * an existing masterdest exactly as it was. A good upload is merged into masterdest at commit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, readlinkSync, realpathSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DirectoryWriter, type DirectoryWriterOptions } from '../src/workers/directory-writer.js';
import { tarOf, type TarMember as Member, type TarMember } from './support/tar-of.js';
import { resolveOptions } from '../src/workers/options.js';
import type { UpdatePair } from '../src/workers/types.js';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';
import { symlinkEscape, encodeTarHeader } from 'mastro-protocol/tar';
import { testTempDir } from './support/temp-dir.js';
import { badArchives } from './support/bad-tars.js';

function tempRoot(t: import('node:test').TestContext): string {
  const root = mkdtempSync(join(tmpdir(), 'mastro-directory-writer-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'spool'));
  return root;
}

const venv: Member[] = [
  { name: 'venv', type: 'directory' },
  { name: 'venv/bin', type: 'directory' },
  { name: 'venv/bin/python', type: 'symlink', linkname: '/usr/bin/python3' },
  { name: 'venv/bin/python3', type: 'symlink', linkname: 'python' },
  { name: 'venv/lib64', type: 'symlink', linkname: '/tmp' },
  // Written where the skipped link would have been: it must land inside masterdest, as a directory.
  { name: 'venv/lib64/site.py', type: 'file', content: 'inside' },
  { name: 'venv/pyvenv.cfg', type: 'file', content: 'home = /usr/bin' },
];

test('symlinks to absolute paths are left out and named; everything else is extracted', async (t) => {
  const root = tempRoot(t);
  const dest = join(root, 'out');
  const w = new DirectoryWriter(dest, { hardLimit: 1024 * 1024, tmpDir: join(root, 'spool') });
  await w.write(tarOf(venv));
  const r = await w.unpack();
  await w.commit();
  assert.deepEqual(r.skippedSymlinks, [{ name: 'venv/bin/python', target: '/usr/bin/python3' }, { name: 'venv/lib64', target: '/tmp' }]);
  assert.equal(existsSync(join(dest, 'venv/bin/python')), false, 'the absolute link is never created');
  assert.equal(lstatSync(join(dest, 'venv/bin/python3')).isSymbolicLink(), true, 'relative links still are');
  assert.equal(lstatSync(join(dest, 'venv/lib64')).isDirectory(), true);
  assert.equal(readFileSync(join(dest, 'venv/lib64/site.py'), 'utf8'), 'inside');
  assert.equal(existsSync('/tmp/site.py') && readFileSync('/tmp/site.py', 'utf8') === 'inside', false);
  assert.equal(readFileSync(join(dest, 'venv/pyvenv.cfg'), 'utf8'), 'home = /usr/bin');
  assert.match(r.notice ?? '', /skipped 2 symlinks to absolute paths/);
  assert.match(r.notice ?? '', /venv\/bin\/python -> \/usr\/bin\/python3/);
});

test('an upload without absolute links has no notice', async (t) => {
  const root = tempRoot(t);
  const w = new DirectoryWriter(join(root, 'out'), { hardLimit: 1024 * 1024, tmpDir: join(root, 'spool') });
  await w.write(tarOf([{ name: 'a', type: 'file', content: 'x' }]));
  const r = await w.unpack();
  assert.equal(r.notice, null);
  assert.deepEqual(r.skippedSymlinks, []);
});

test('a tree with more entries than maxUploadEntries is refused with an error naming the option', async (t) => {
  const root = tempRoot(t);
  const many: Member[] = Array.from({ length: 60 }, (_, i) => ({ name: `f${i}`, type: 'file' }));
  const w = new DirectoryWriter(join(root, 'out'), { hardLimit: 1024 * 1024, maxEntries: 50, tmpDir: join(root, 'spool') });
  await w.write(gzipSync(tarOf(many)));
  await assert.rejects(w.unpack(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TAR_TOO_MANY_ENTRIES');
    assert.match(err.message, /more than 50 files, directories and links.*maxUploadEntries/);
    return true;
  });
  assert.equal(existsSync(join(root, 'out', 'f55')), false);
});

test('a small gzip that expands past maxUploadSize is refused with an error naming the option', async (t) => {
  const root = tempRoot(t);
  const w = new DirectoryWriter(join(root, 'out'), { hardLimit: 64 * 1024, tmpDir: join(root, 'spool') });
  await w.write(gzipSync(tarOf([{ name: 'zeros', type: 'file', content: '\0'.repeat(256 * 1024) }])));
  await assert.rejects(w.unpack(), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'TAR_TOO_LARGE');
    assert.match(err.message, /more than 65536 bytes, the master's maxUploadSize/);
    return true;
  });
});

test('maxUploadEntries defaults to 100,000, far below the extractor default of a million', () => {
  assert.equal(resolveOptions().maxUploadEntries, 100_000);
  assert.equal(resolveOptions({ maxUploadEntries: 7 }).maxUploadEntries, 7);
});

test('over the worker protocol: the skipped links reach the command as a header, the upload succeeds; the entry limit applies', async (t) => {
  const h = await startHarness({ workers: [{ name: 'w', password: 'p' }], maxUploadEntries: 4 });
  t.after(() => h.close());
  let tarToSend = Buffer.alloc(0);
  const attached = h.nextAttached('w');
  const fake = await connectFakeWorker({
    url: h.url, name: 'w', password: 'p', basedir: '/base',
    onCommand: async (command, args, ctl) => {
      if (command !== 'upload_directory') { await ctl.update([['files', []], ['rc', 0]]); await ctl.complete(null); return; }
      try {
        await ctl.request('update_upload_directory_write', { args: tarToSend });
        await ctl.request('update_upload_directory_unpack', {});
        await ctl.update([['rc', 0]]);
        await ctl.complete(null);
      } catch (err) {
        await ctl.update([['rc', 1]]);
        await ctl.complete(`unpack failed: ${(err as Error).message}`);
      }
    },
  });
  t.after(() => fake.close());
  const worker = await attached;
  const root = tempRoot(t);

  tarToSend = tarOf([{ name: 'bin', type: 'directory' }, { name: 'bin/python', type: 'symlink', linkname: '/usr/bin/python3' }, { name: 'x', type: 'file', content: 'x' }]);
  const seen: UpdatePair[] = [];
  const ok = await worker.uploadDirectory('b', { workdir: 'w', workerSrc: 'venv', masterDest: join(root, 'ok') }, { onUpdate: (p) => { seen.push(p); } }).result;
  assert.equal(ok.rc, 0, JSON.stringify(ok));
  assert.equal(ok.failure, undefined);
  const headers = seen.filter(([k]) => k === 'header').map(([, v]) => String(v));
  assert.equal(headers.length, 1, JSON.stringify(seen));
  assert.match(headers[0]!, /skipped 1 symlink to absolute paths[\s\S]*bin\/python -> \/usr\/bin\/python3/);
  assert.equal(readFileSync(join(root, 'ok', 'x'), 'utf8'), 'x');

  tarToSend = tarOf(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, type: 'file' as const })));
  const tooMany = await worker.uploadDirectory('b', { workdir: 'w', workerSrc: 'many', masterDest: join(root, 'many') }).result;
  assert.match(tooMany.failure?.message ?? '', /more than 4 files, directories and links.*maxUploadEntries/);
});

/*
 * What a malicious worker can do with `upload_directory`: the master extracts its tar with
 * DirectoryWriter, which must keep every name and every link inside masterdest, including links
 * that only escape once the file system follows another link (`y -> .`, then `x -> y/..`).
 */
async function upload(members: Member[]): Promise<{ root: string; dest: string; error: Error | null; cleanup(): void }> {
  const root = mkdtempSync(join(tmpdir(), 'mastro-sec-dirupload-'));
  const dest = join(root, 'master', 'artifacts');
  mkdirSync(join(root, 'spool'));
  const w = new DirectoryWriter(dest, { hardLimit: 1024 * 1024, tmpDir: join(root, 'spool') });
  let error: Error | null = null;
  try {
    await w.write(tarOf(members));
    await w.unpack();
    await w.commit();
  } catch (err) { error = err as Error; await w.cancel(); }
  return { root, dest, error, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** True when following `path` leads outside `dest` (or it does not exist). */
function leadsOutside(dest: string, path: string): boolean {
  let real: string;
  try { real = realpathSync(path); } catch { return false; }
  const d = realpathSync(dest);
  return real !== d && !real.startsWith(d + '/');
}

test('a symlink whose target escapes only through another link (y -> ., x -> y/..) is refused', async () => {
  const r = await upload([
    { name: 'y', type: 'symlink', linkname: '.' },
    { name: 'x', type: 'symlink', linkname: 'y/..' },
    { name: 'after', type: 'file', content: 'never written' },
  ]);
  try {
    assert.ok(r.error, 'the upload fails');
    assert.equal((r.error as any).code, 'TAR_UNSAFE_LINK', r.error.message);
    assert.match(r.error.message, /refusing symlink "x" -> "y\/\.\."/);
    assert.equal(existsSync(join(r.dest, 'x')) && leadsOutside(r.dest, join(r.dest, 'x')), false, 'no link in masterdest leads out of it');
    assert.equal(existsSync(join(r.dest, 'after')), false);
  } finally { r.cleanup(); }
});

test('the same escape is refused when the dangling link comes first and the link it relies on later', async () => {
  const r = await upload([
    { name: 'd/x', type: 'symlink', linkname: 'y/../..' },
    { name: 'd/y', type: 'symlink', linkname: '.' },
  ]);
  try {
    assert.equal((r.error as any)?.code, 'TAR_UNSAFE_LINK');
    assert.equal(existsSync(join(r.dest, 'd', 'x')), false);
  } finally { r.cleanup(); }
});

test('ordinary relative links inside the tree are extracted (library versions, ../ to a sibling directory)', async () => {
  const r = await upload([
    { name: 'lib', type: 'directory' },
    { name: 'lib/libfoo.so.1', type: 'file', content: 'ELF' },
    { name: 'lib/libfoo.so', type: 'symlink', linkname: 'libfoo.so.1' },
    { name: 'bin', type: 'directory' },
    { name: 'bin/foo', type: 'symlink', linkname: '../lib/./libfoo.so' },
    { name: 'self', type: 'symlink', linkname: '.' },
  ]);
  try {
    assert.equal(r.error, null, r.error?.message);
    assert.equal(readlinkSync(join(r.dest, 'bin', 'foo')), '../lib/./libfoo.so');
    assert.equal(readFileSync(join(r.dest, 'bin', 'foo'), 'utf8'), 'ELF');
    assert.ok(lstatSync(join(r.dest, 'self')).isSymbolicLink());
  } finally { r.cleanup(); }
});

test('links climbing above masterdest are refused; absolute ones are never created (left out, the rest extracted)', async () => {
  for (const [name, linkname] of [['up', '..'], ['a/up2', '../..']] as const) {
    const r = await upload([{ name, type: 'symlink', linkname }]);
    try {
      assert.equal((r.error as any)?.code, 'TAR_UNSAFE_LINK', `${name} -> ${linkname}`);
      assert.equal(leadsOutside(r.dest, join(r.dest, name)), false);
    } finally { r.cleanup(); }
  }
  for (const [name, linkname] of [['abs', '/etc'], ['win', 'C:/Windows']] as const) {
    const r = await upload([{ name, type: 'symlink', linkname }]);
    try {
      assert.equal(r.error, null, `${name} -> ${linkname}: ${r.error?.message}`);
      assert.equal(existsSync(join(r.dest, name)), false, `${name} is not created`);
    } finally { r.cleanup(); }
  }
});

test('symlinkEscape allows leading climbs up to the link depth and nothing after a name', () => {
  assert.equal(symlinkEscape(0, 'a/b'), null);
  assert.equal(symlinkEscape(2, '../../c'), null);
  assert.match(symlinkEscape(1, '../../c')!, /outside/);
  assert.match(symlinkEscape(3, 'a/../b')!, /after a name/);
  assert.match(symlinkEscape(3, '..\\x\\..\\..')!, /after a name/);
});

// ---- limits, and what a refused upload leaves ----

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
async function send(writer: DirectoryWriter, data: Buffer): Promise<Error | null> {
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
  const err = await send(s.writer, bomb);
  assert.equal((err as { code?: string } | null)?.code, 'TAR_TOO_LARGE', String(err));
  assert.match(err!.message, /more than 1048576 bytes, the step's maxsize \(it bounds the extracted files as well as the bytes sent\)/);
  assert.deepEqual(s.leftovers(), []);
});

test("the step's maxEntries bounds the entries below the master's maxUploadEntries, and the error names the step's option", async (t) => {
  const s = setup(t, { stepMaxEntries: 50, maxEntries: 1000 });
  const err = await send(s.writer, gzipSync(tarOf(files(60))));
  assert.equal((err as { code?: string } | null)?.code, 'TAR_TOO_MANY_ENTRIES', String(err));
  assert.match(err!.message, /more than 50 files, directories and links, the step's maxEntries/);
  assert.deepEqual(s.leftovers(), []);

  const master = setup(t, { stepMaxEntries: 5000, maxEntries: 40 });
  const err2 = await send(master.writer, tarOf(files(60)));
  assert.match(err2?.message ?? '', /more than 40 files, directories and links, the master's maxUploadEntries/, 'the tighter limit applies');
});

test("more tar bytes than the step's maxsize are refused at unpack, not extracted truncated", async (t) => {
  const s = setup(t, { maxsize: 4096 });
  // Cut at maxsize, this archive would end cleanly after its first entry and look complete.
  const err = await send(s.writer, tarOf([{ name: 'first', type: 'file', content: 'x'.repeat(3000) }, { name: 'second', type: 'file', content: 'y'.repeat(3000) }]));
  assert.equal((err as { code?: string } | null)?.code, 'upload_over_maxsize', String(err));
  assert.match(err!.message, /more than the step's maxsize of 4096 bytes/);
  assert.deepEqual(s.leftovers(), []);
});

test('a refused upload leaves nothing behind: not the partial file over the size limit', async (t) => {
  const s = setup(t, { hardLimit: 1 * MiB });
  const err = await send(s.writer, gzipSync(tarOf([{ name: 'small', type: 'file', content: 'ok' }, { name: 'big', type: 'file', content: 'z'.repeat(3 * MiB) }])));
  assert.equal((err as { code?: string } | null)?.code, 'TAR_TOO_LARGE', String(err));
  assert.deepEqual(s.leftovers(), []);
});

test('a refused upload leaves nothing behind: not the thousands of empty files before the entry limit', async (t) => {
  const s = setup(t, { maxEntries: 5000 });
  const err = await send(s.writer, gzipSync(tarOf([{ name: 'd', type: 'directory' }, ...files(5000, 'd/f')])));
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
  const err = await send(s.writer, gzipSync(Buffer.concat(blocks)));
  assert.equal((err as { code?: string } | null)?.code, 'TAR_MALFORMED', String(err));
  assert.deepEqual(s.leftovers(), []);
});

test('a refused upload leaves an existing masterdest exactly as it was, even for names the upload shares', async (t) => {
  for (const bad of badArchives()) {
    const s = setup(t);
    mkdirSync(join(s.dest, 'sub'), { recursive: true });
    writeFileSync(join(s.dest, 'a.txt'), 'previous build');
    writeFileSync(join(s.dest, 'sub', 'kept'), 'kept');
    const err = await send(s.writer, bad.data);
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
  const err = await send(s.writer, Buffer.from('BZh9 this is not bzip2 data at all'.repeat(20)));
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
  const err = await send(s.writer, tarOf([{ name: '', type: 'directory' }]));
  assert.equal(err, null, String(err));
  assert.deepEqual(readdirSync(s.dest), []);
});
