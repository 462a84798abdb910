import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, statSync, utimesSync, symlinkSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { extractTarBuffer } from '../../protocol/src/tar.js';
import { runCommand, tempDir } from './support/helpers.js';
import { descendants } from '../../../test/support/process-tree.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

test('upload_file sends the file in blocksize chunks, then close and utime', async (t) => {
  const dir = tempDir(t);
  const data = randomBytes(100_000);
  writeFileSync(path.join(dir, 'f.bin'), data);
  utimesSync(path.join(dir, 'f.bin'), 1_600_000_000, 1_600_000_000);
  const r = await runCommand('upload_file', { path: path.join(dir, 'f.bin'), blocksize: 16384, maxsize: null, keepstamp: true, writer: null }, { basedir: dir });
  const writes = r.requests.filter((q) => q.op === 'update_upload_file_write');
  assert.equal(writes.length, Math.ceil(100_000 / 16384));
  assert.equal(sha(Buffer.concat(writes.map((w) => w.fields.args as Buffer))), sha(data));
  const ops = r.requests.map((q) => q.op).filter((op) => op.startsWith('update_upload'));
  assert.deepEqual(ops.slice(-2), ['update_upload_file_close', 'update_upload_file_utime']);
  const utime = r.requests.find((q) => q.op === 'update_upload_file_utime')!;
  assert.equal(utime.fields.modified_time, 1_600_000_000);
  assert.ok(writes.every((w) => w.fields.command_id === 'cmd-1'));
  assert.equal(r.rc(), 0);
});

test('upload_file stops at maxsize with rc 1 and a message', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'f'), Buffer.alloc(5000, 7));
  const r = await runCommand('upload_file', { path: path.join(dir, 'f'), blocksize: 1000, maxsize: 2500 }, { basedir: dir });
  const sent = Buffer.concat(r.requests.filter((q) => q.op === 'update_upload_file_write').map((w) => w.fields.args as Buffer));
  assert.equal(sent.length, 2500);
  assert.equal(r.rc(), 1);
  assert.match(r.text('stderr'), /Maximum filesize reached, truncating file/);
  assert.ok(r.requests.some((q) => q.op === 'update_upload_file_close'));
});

test('upload_file of a missing file reports rc 1 and still closes the writer', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('upload_file', { path: path.join(dir, 'nope'), blocksize: 1000, maxsize: null }, { basedir: dir });
  assert.equal(r.rc(), 1);
  assert.match(r.text('stderr'), /Cannot open file '.*nope' for upload/);
  assert.ok(r.requests.some((q) => q.op === 'update_upload_file_close'));
});

test('upload_directory streams a tar (gz) that unpacks to the same tree', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'out/sub'), { recursive: true });
  const big = randomBytes(200_000);
  writeFileSync(path.join(dir, 'out/sub/big'), big);
  writeFileSync(path.join(dir, 'out/a.txt'), 'a');
  symlinkSync('a.txt', path.join(dir, 'out/link'));
  for (const compress of [null, 'gz'] as const) {
    const r = await runCommand('upload_directory', { path: path.join(dir, 'out'), blocksize: 8192, maxsize: null, compress }, { basedir: dir });
    const writes = r.requests.filter((q) => q.op === 'update_upload_directory_write');
    assert.ok(writes.every((w) => (w.fields.args as Buffer).length <= 8192));
    assert.equal(r.requests.at(-2)?.op, 'update', 'rc update before complete');
    assert.ok(r.requests.some((q) => q.op === 'update_upload_directory_unpack'));
    const dest = path.join(tempDir(t), 'dest');
    await extractTarBuffer(Buffer.concat(writes.map((w) => w.fields.args as Buffer)), dest);
    assert.equal(sha(readFileSync(path.join(dest, 'sub/big'))), sha(big));
    assert.equal(readlinkSync(path.join(dest, 'link')), 'a.txt');
    assert.equal(r.rc(), 0);
  }
});

test('download_file reads until an empty answer, writes with mode, closes the reader', async (t) => {
  const dir = tempDir(t);
  const data = randomBytes(50_000);
  let offset = 0;
  const r = await runCommand('download_file', { path: path.join(dir, 'sub/dl.bin'), blocksize: 4096, maxsize: null, mode: 0o640, reader: null }, {
    basedir: dir,
    answer: (op, fields) => {
      if (op !== 'update_read_file') return null;
      const chunk = data.subarray(offset, offset + (fields.length as number));
      offset += chunk.length;
      return chunk;
    },
  });
  assert.equal(r.rc(), 0);
  assert.equal(sha(readFileSync(path.join(dir, 'sub/dl.bin'))), sha(data));
  assert.equal(statSync(path.join(dir, 'sub/dl.bin')).mode & 0o777, 0o640);
  assert.equal(r.requests.filter((q) => q.op.startsWith('update_read_file')).at(-1)?.op, 'update_read_file_close');
});

test('download_file stops at maxsize with rc 1', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('download_file', { path: path.join(dir, 'f'), blocksize: 1000, maxsize: 1500, mode: null }, {
    basedir: dir, answer: (op, f) => (op === 'update_read_file' ? Buffer.alloc(f.length as number, 1) : null),
  });
  assert.equal(readFileSync(path.join(dir, 'f')).length, 1500);
  assert.equal(r.rc(), 1);
  assert.match(r.text('stderr'), /Maximum filesize reached/);
});

test('download_file outside the basedir is refused and nothing is written', async (t) => {
  const dir = tempDir(t);
  const outside = tempDir(t);
  const r = await runCommand('download_file', { path: path.join(outside, 'evil'), blocksize: 1000, maxsize: null, mode: null }, {
    basedir: dir, answer: (op) => (op === 'update_read_file' ? Buffer.from('x') : null),
  });
  assert.equal(r.rc(), 1);
  assert.match(r.text('stderr'), /outside the worker's base directory/);
  assert.ok(!r.requests.some((q) => q.op === 'update_read_file'));
  assert.ok(r.requests.some((q) => q.op === 'update_read_file_close'));
});

test('a master error during download fails the command but still closes the reader', async (t) => {
  const dir = tempDir(t);
  const r = await runCommand('download_file', { path: path.join(dir, 'f'), blocksize: 1000, maxsize: null, mode: null }, {
    basedir: dir, answer: (op) => { if (op === 'update_read_file') throw new Error('master says no'); return null; },
  });
  assert.match(String(r.failure), /master says no/);
  assert.equal(r.rc(), 1);
  assert.ok(r.requests.some((q) => q.op === 'update_read_file_close'));
});

test("upload_directory with compress 'bz2' cut at maxsize ends rc 1 without an error escaping the bzip2 pipe", async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'out'));
  // Incompressible and large: bzip2 is still reading when the upload is cut and its output closed.
  writeFileSync(path.join(dir, 'out/big'), randomBytes(8 * 1024 * 1024));
  const escaped: Error[] = [];
  const onEscape = (err: Error) => { escaped.push(err); };
  process.on('uncaughtException', onEscape);
  t.after(() => { process.off('uncaughtException', onEscape); });
  const r = await runCommand('upload_directory', { path: path.join(dir, 'out'), blocksize: 4096, maxsize: 8192, compress: 'bz2' }, { basedir: dir });
  assert.equal(r.rc(), 1);
  assert.match(r.text('stderr'), /Maximum filesize reached/);
  // bzip2 ends of SIGPIPE once its output is closed, and the packer's next write into it fails:
  // wait until no bzip2 child is left (and the packer had its turn) before looking for escapes.
  const bzip2Children = () => descendants(process.pid).filter((pid) => { try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'bzip2'; } catch { return false; } });
  const deadline = Date.now() + 30_000;
  while (bzip2Children().length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.deepEqual(bzip2Children(), [], 'the bzip2 child is gone');
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(escaped.map((e) => e.message), []);
});
