import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, symlinkSync, lstatSync, readlinkSync, existsSync, rmSync, statSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { packDirectory, extractTarBuffer, createTarExtractor, encodeTarHeader, sealTarHeader, TarParser, TarError, type TarEntry } from '../src/tar.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mastro-tar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Builds an archive by hand, so tests can write entries no honest packer would produce. */
function archive(entries: Array<Partial<TarEntry> & { name: string; data?: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    const type = e.type ?? 'file';
    parts.push(encodeTarHeader({ name: e.name, type, size: type === 'file' ? data.length : 0, mode: e.mode ?? 0o644, mtime: e.mtime ?? 1_700_000_000, linkname: e.linkname ?? '' }));
    if (type === 'file') { parts.push(data); parts.push(Buffer.alloc((512 - (data.length % 512)) % 512)); }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function makeTree(root: string): void {
  mkdirSync(path.join(root, 'sub/deeper'), { recursive: true });
  writeFileSync(path.join(root, 'a.txt'), 'hello\n');
  writeFileSync(path.join(root, 'sub/deeper/big.bin'), randomBytes(300_000));
  writeFileSync(path.join(root, 'sub/empty'), '');
  symlinkSync('../a.txt', path.join(root, 'sub/link'));
  const longDir = path.join(root, 'x'.repeat(120));
  mkdirSync(longDir);
  writeFileSync(path.join(longDir, `${'y'.repeat(110)}.txt`), 'long name');
  writeFileSync(path.join(root, 'ünïcödé.txt'), 'utf8 name');
}

test('a packed directory round-trips through extraction with contents, symlinks and long names intact', async (t) => {
  const src = path.join(tempDir(t), 'src'); const dst = path.join(tempDir(t), 'dst');
  makeTree(src);
  const tar = await collect(packDirectory(src));
  const result = await extractTarBuffer(tar, dst);
  assert.ok(result.entries >= 8);
  for (const rel of ['a.txt', 'sub/deeper/big.bin', 'sub/empty', `${'x'.repeat(120)}/${'y'.repeat(110)}.txt`, 'ünïcödé.txt']) {
    assert.deepEqual(readFileSync(path.join(dst, rel)), readFileSync(path.join(src, rel)), rel);
  }
  assert.ok(lstatSync(path.join(dst, 'sub/link')).isSymbolicLink());
  assert.equal(readlinkSync(path.join(dst, 'sub/link')), '../a.txt');
});

test('the packed archive is readable by GNU tar, and GNU tar archives extract', async (t) => {
  const src = path.join(tempDir(t), 'src'); makeTree(src);
  const tar = await collect(packDirectory(src, { gzip: true }));
  const tarFile = path.join(tempDir(t), 'a.tgz'); writeFileSync(tarFile, tar);
  const listing = execFileSync('tar', ['-tzf', tarFile], { encoding: 'utf8' }).split('\n');
  assert.ok(listing.includes(`${'x'.repeat(120)}/${'y'.repeat(110)}.txt`));
  assert.ok(listing.includes('sub/deeper/big.bin'));

  const gnuFile = path.join(tempDir(t), 'gnu.tar');
  execFileSync('tar', ['--format=gnu', '-cf', gnuFile, '-C', src, '.']);
  const dst = path.join(tempDir(t), 'dst');
  await extractTarBuffer(readFileSync(gnuFile), dst);
  assert.equal(readFileSync(path.join(dst, `${'x'.repeat(120)}/${'y'.repeat(110)}.txt`), 'utf8'), 'long name');
  const paxFile = path.join(tempDir(t), 'pax.tar.gz');
  execFileSync('tar', ['--format=pax', '-czf', paxFile, '-C', src, '.']);
  const dst2 = path.join(tempDir(t), 'dst2');
  await extractTarBuffer(readFileSync(paxFile), dst2);
  assert.equal(readFileSync(path.join(dst2, 'ünïcödé.txt'), 'utf8'), 'utf8 name');
});

test('gzip input is detected automatically', async (t) => {
  const dst = tempDir(t);
  await extractTarBuffer(gzipSync(archive([{ name: 'f', data: Buffer.from('zz') }])), dst);
  assert.equal(readFileSync(path.join(dst, 'f'), 'utf8'), 'zz');
});

async function assertRefused(t: { after(fn: () => void): void }, tar: Buffer, code: string, outsideCheck?: (root: string) => void) {
  const root = tempDir(t);
  const dst = path.join(root, 'dst');
  mkdirSync(dst);
  await assert.rejects(extractTarBuffer(tar, dst), (err: unknown) => err instanceof TarError && err.code === code);
  outsideCheck?.(root);
  return root;
}

test('entries with .. components are refused and nothing lands outside', async (t) => {
  await assertRefused(t, archive([{ name: '../evil', data: Buffer.from('x') }]), 'TAR_UNSAFE_PATH',
    (root) => assert.ok(!existsSync(path.join(root, 'evil'))));
  await assertRefused(t, archive([{ name: 'ok/../../evil', data: Buffer.from('x') }]), 'TAR_UNSAFE_PATH',
    (root) => assert.ok(!existsSync(path.join(root, 'evil'))));
});

test('absolute entry names are refused', async (t) => {
  const target = path.join(tempDir(t), 'abs-evil');
  await assertRefused(t, archive([{ name: target, data: Buffer.from('x') }]), 'TAR_UNSAFE_PATH');
  assert.ok(!existsSync(target));
  await assertRefused(t, archive([{ name: 'C:\\evil', data: Buffer.from('x') }]), 'TAR_UNSAFE_PATH');
});

test('symlinks pointing outside the target are refused', async (t) => {
  await assertRefused(t, archive([{ name: 'l', type: 'symlink', linkname: '/etc' }]), 'TAR_UNSAFE_LINK');
  await assertRefused(t, archive([{ name: 'd/l', type: 'symlink', linkname: '../../x' }]), 'TAR_UNSAFE_LINK');
});

test("with absoluteSymlinks: 'skip' absolute links are listed and not created, relative escapes are still refused", async (t) => {
  const dst = path.join(tempDir(t), 'dst');
  const r = await extractTarBuffer(archive([
    { name: 'l', type: 'symlink', linkname: '/etc' },
    { name: 'w', type: 'symlink', linkname: 'C:\\Windows' },
    { name: 'l/passwd', data: Buffer.from('mine') },
    { name: 'ok', type: 'symlink', linkname: 'l/passwd' },
  ]), dst, { absoluteSymlinks: 'skip' });
  assert.deepEqual(r.skippedSymlinks, [{ name: 'l', target: '/etc' }, { name: 'w', target: 'C:\\Windows' }]);
  assert.ok(lstatSync(path.join(dst, 'l')).isDirectory(), 'a later entry under the skipped name is a plain directory inside');
  assert.equal(readFileSync(path.join(dst, 'l/passwd'), 'utf8'), 'mine');
  assert.ok(!existsSync(path.join(dst, 'w')));
  assert.equal(readlinkSync(path.join(dst, 'ok')), 'l/passwd');
  await assert.rejects(extractTarBuffer(archive([{ name: 'd/l', type: 'symlink', linkname: '../../x' }]), path.join(tempDir(t), 'dst'), { absoluteSymlinks: 'skip' }), { code: 'TAR_UNSAFE_LINK' });
});

test('writing through a symlink created by an earlier entry is refused', async (t) => {
  // 'l' -> 'inside' is harmless itself, but 'l/file' must not follow it.
  await assertRefused(t, archive([
    { name: 'inside', type: 'directory' },
    { name: 'l', type: 'symlink', linkname: 'inside' },
    { name: 'l/file', data: Buffer.from('x') },
  ]), 'TAR_UNSAFE_LINK');
});

test('a file entry replaces an existing symlink instead of writing through it', async (t) => {
  const root = tempDir(t);
  const outside = path.join(root, 'outside.txt'); writeFileSync(outside, 'keep');
  const dst = path.join(root, 'dst'); mkdirSync(dst);
  symlinkSync(outside, path.join(dst, 'f'));
  await extractTarBuffer(archive([{ name: 'f', data: Buffer.from('new') }]), dst);
  assert.equal(readFileSync(outside, 'utf8'), 'keep');
  assert.equal(readFileSync(path.join(dst, 'f'), 'utf8'), 'new');
  assert.ok(!lstatSync(path.join(dst, 'f')).isSymbolicLink());
});

test('writing through a pre-existing symlinked directory is refused', async (t) => {
  const root = tempDir(t);
  const outsideDir = path.join(root, 'outside'); mkdirSync(outsideDir);
  const dst = path.join(root, 'dst'); mkdirSync(dst);
  symlinkSync(outsideDir, path.join(dst, 'd'));
  await assert.rejects(extractTarBuffer(archive([{ name: 'd/f', data: Buffer.from('x') }]), dst), { code: 'TAR_UNSAFE_LINK' });
  assert.deepEqual(readdirSync(outsideDir), []);
});

test('hardlinks must point at a file already extracted inside the target', async (t) => {
  await assertRefused(t, archive([{ name: 'h', type: 'hardlink', linkname: '/etc/passwd' }]), 'TAR_UNSAFE_PATH');
  await assertRefused(t, archive([{ name: 'h', type: 'hardlink', linkname: '../x' }]), 'TAR_UNSAFE_PATH');
  await assertRefused(t, archive([{ name: 'h', type: 'hardlink', linkname: 'missing' }]), 'TAR_UNSAFE_LINK');
  const dst = tempDir(t);
  await extractTarBuffer(archive([{ name: 'f', data: Buffer.from('same') }, { name: 'h', type: 'hardlink', linkname: 'f' }]), dst);
  assert.equal(statSync(path.join(dst, 'h')).ino, statSync(path.join(dst, 'f')).ino);
});

test('the size and entry limits stop extraction', async (t) => {
  const big = archive([{ name: 'f', data: Buffer.alloc(10_000) }]);
  const dst = tempDir(t);
  await assert.rejects(extractTarBuffer(big, dst, { maxBytes: 5_000 }), { code: 'TAR_TOO_LARGE' });
  await assert.rejects(extractTarBuffer(archive([{ name: 'a' }, { name: 'b' }, { name: 'c' }]), tempDir(t), { maxEntries: 2 }), { code: 'TAR_TOO_MANY_ENTRIES' });
});

test('truncated and garbage input is reported as malformed, not crashed on', async (t) => {
  const good = archive([{ name: 'f', data: Buffer.alloc(2000, 1) }]);
  await assert.rejects(extractTarBuffer(good.subarray(0, 1000), tempDir(t)), { code: 'TAR_MALFORMED' });
  await assert.rejects(extractTarBuffer(randomBytes(2048), tempDir(t)), { code: 'TAR_MALFORMED' });
});

test('a malformed archive streamed into the extractor fails the pipeline instead of throwing out of a stream callback', async (t) => {
  const good = archive([{ name: 'a', data: Buffer.from('hello') }, { name: 'b', data: Buffer.alloc(5000, 1) }]);
  const badChecksum = Buffer.from(good); badChecksum[0] = 0x7a;
  const nonOctal = Buffer.from(good); nonOctal.write('0000000001z\0', 124, 'latin1'); sealTarHeader(nonOctal.subarray(0, 512));
  const pax = encodeTarHeader({ name: 'PaxHeader', type: 'file', size: 2 * 1024 * 1024, mode: 0o644, mtime: 0, linkname: '' });
  pax.write('x', 156, 'latin1'); sealTarHeader(pax);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['bad checksum', badChecksum, /checksum mismatch/],
    ['non-octal size', nonOctal, /size is not an octal number/],
    ['gzip of a bad tar', gzipSync(badChecksum), /checksum mismatch/],
    ['PAX header over its limit', Buffer.concat([pax, Buffer.alloc(1024)]), /metadata entry of 2097152 bytes exceeds/],
    ['corrupt gzip stream', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(600, 0xff)]), /gzip stream is corrupt/],
  ];
  for (const [what, data, reason] of cases) {
    // Several chunks, as a file stream delivers them: the parser then runs inside 'data' callbacks.
    const chunks = Array.from({ length: Math.ceil(data.length / 256) }, (_, i) => data.subarray(i * 256, (i + 1) * 256));
    const sink = createTarExtractor(path.join(tempDir(t), 'dst'));
    await assert.rejects(pipeline(Readable.from(chunks), sink), (err: Error & { code?: string }) => {
      assert.ok(err instanceof TarError, `${what}: ${err}`);
      assert.match(err.message, reason, what);
      return true;
    });
    await assert.rejects(sink.result, reason, `${what}: result rejects too`);
  }
});

test('an empty input is no archive; an archive of nothing (its two zero blocks) is', async (t) => {
  await assert.rejects(extractTarBuffer(Buffer.alloc(0), tempDir(t)), { code: 'TAR_MALFORMED', message: /empty/ });
  await assert.rejects(extractTarBuffer(gzipSync(Buffer.alloc(0)), tempDir(t)), { code: 'TAR_MALFORMED', message: /empty/ });
  assert.equal((await extractTarBuffer(Buffer.alloc(1024), tempDir(t))).entries, 0);
});

test('setuid bits are never restored', async (t) => {
  const dst = tempDir(t);
  await extractTarBuffer(archive([{ name: 'f', mode: 0o4755, data: Buffer.from('x') }]), dst);
  assert.equal(statSync(path.join(dst, 'f')).mode & 0o7777, 0o755);
});

test('the parser handles input fed one byte at a time', () => {
  const tar = archive([{ name: 'a', data: Buffer.from('abc') }, { name: 'd', type: 'directory' }]);
  const parser = new TarParser();
  const names: string[] = []; let data = '';
  for (const byte of tar) {
    for (const ev of parser.push(Buffer.from([byte]))) {
      if (ev.kind === 'entry') names.push(ev.entry.name);
      if (ev.kind === 'data') data += ev.data.toString();
    }
  }
  assert.deepEqual(names, ['a', 'd']);
  assert.equal(data, 'abc');
  assert.ok(parser.finished);
});
