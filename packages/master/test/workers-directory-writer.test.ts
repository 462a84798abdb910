/**
 * The master's extractor of `upload_directory` tars (workers/directory-writer.ts, DirectoryWriter).
 *
 * Directory uploads a real tree survives, and a bounded number of inodes: a symlink to an absolute
 * path (a Python virtualenv's `bin/python -> /usr/bin/python3`) is left out and named in the step's
 * log instead of failing the whole upload, and the number of entries one upload may create is the
 * option `maxUploadEntries` (default 100,000), named in the error when a tree has more.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DirectoryWriter } from '../src/workers/directory-writer.js';
import { tarOf, type TarMember as Member } from './support/tar-of.js';
import { resolveOptions } from '../src/workers/options.js';
import type { UpdatePair } from '../src/workers/types.js';
import { startHarness } from './support/workers-harness.js';
import { connectFakeWorker } from './support/workers-fake-worker.js';
import { symlinkEscape } from 'mastro-protocol/tar';

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
  assert.match(headers[0]!, /skipped 1 symlink to absolute paths[^]*bin\/python -> \/usr\/bin\/python3/);
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
  } catch (err) { error = err as Error; }
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
