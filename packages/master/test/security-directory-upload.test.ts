/**
 * What a malicious worker can do with `upload_directory`: the master extracts its tar with
 * DirectoryWriter, which must keep every name and every link inside masterdest, including links
 * that only escape once the file system follows another link (`y -> .`, then `x -> y/..`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { symlinkEscape } from 'mastro-protocol/tar';
import { DirectoryWriter } from '../src/workers/directory-writer.js';
import { tarOf, type TarMember as Member } from './support/tar-of.js';


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
