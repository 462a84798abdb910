/** FileWriter: an upload lands under its name only when complete, and never truncated. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir } from './support/temp-dir.js';
import { FileWriter } from '../src/workers/file-writer.js';
import { UploadRefusedError } from '../src/workers/upload-errors.js';

test('more bytes than maxsize cannot be committed: the upload is refused, the destination keeps its old content', async (t) => {
  const dir = testTempDir(t, 'file-writer');
  const dest = join(dir, 'artifact');
  writeFileSync(dest, 'previous build');
  const w = new FileWriter(dest, { maxsize: 10, hardLimit: 1024 });
  await w.write(Buffer.from('0123456789'));
  await w.write(Buffer.from('one byte too many'));
  await w.close();
  await assert.rejects(w.commit(), (err: Error) => {
    assert.ok(err instanceof UploadRefusedError);
    assert.equal(err.code, 'upload_over_maxsize');
    assert.match(err.message, /more than the step's maxsize of 10 bytes.*refused rather than kept truncated/);
    return true;
  });
  await w.cancel();
  assert.equal(readFileSync(dest, 'utf8'), 'previous build');
  assert.deepEqual(readdirSync(dir), ['artifact']);
});

test('exactly maxsize bytes are committed whole', async (t) => {
  const dir = testTempDir(t, 'file-writer');
  const w = new FileWriter(join(dir, 'artifact'), { maxsize: 10, hardLimit: 1024 });
  await w.write(Buffer.from('01234'));
  await w.write(Buffer.from('56789'));
  await w.close();
  await w.commit();
  assert.equal(readFileSync(join(dir, 'artifact'), 'utf8'), '0123456789');
});
