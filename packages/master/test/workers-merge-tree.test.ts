/** mergeTree: moves a staged upload into masterdest the way extraction in place would have written it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir } from './support/temp-dir.js';
import { mergeTree } from '../src/workers/merge-tree.js';
import { UploadRefusedError } from '../src/workers/upload-errors.js';

function dirs(t: import('node:test').TestContext) {
  const root = testTempDir(t, 'merge-tree');
  const staging = join(root, 'staging');
  const dest = join(root, 'dest');
  mkdirSync(staging);
  mkdirSync(dest);
  return { root, staging, dest };
}

test('new names move in, files and links are replaced, directories merge and replace files or links', async (t) => {
  const { root, staging, dest } = dirs(t);
  mkdirSync(join(root, 'outside'));
  mkdirSync(join(dest, 'lib'));
  writeFileSync(join(dest, 'lib', 'old.so'), 'old');
  writeFileSync(join(dest, 'version'), '1');
  writeFileSync(join(dest, 'was-a-file'), 'file');
  symlinkSync(join(root, 'outside'), join(dest, 'was-a-link'));
  mkdirSync(join(staging, 'lib'));
  writeFileSync(join(staging, 'lib', 'new.so'), 'new');
  writeFileSync(join(staging, 'version'), '2');
  mkdirSync(join(staging, 'was-a-file'));
  mkdirSync(join(staging, 'was-a-link'));
  writeFileSync(join(staging, 'was-a-link', 'inside'), 'inside');
  symlinkSync('lib/new.so', join(staging, 'current'));
  await mergeTree(staging, dest);
  assert.deepEqual(readdirSync(dest, { recursive: true }).sort(), ['current', 'lib', 'lib/new.so', 'lib/old.so', 'version', 'was-a-file', 'was-a-link', 'was-a-link/inside']);
  assert.equal(readFileSync(join(dest, 'version'), 'utf8'), '2');
  assert.equal(readlinkSync(join(dest, 'current')), 'lib/new.so');
  assert.ok(lstatSync(join(dest, 'was-a-file')).isDirectory());
  assert.ok(lstatSync(join(dest, 'was-a-link')).isDirectory(), 'the link was replaced');
  assert.deepEqual(readdirSync(join(root, 'outside')), [], 'nothing was written through the old link');
});

test('a file where masterdest has a directory is refused before anything moves', async (t) => {
  const { staging, dest } = dirs(t);
  mkdirSync(join(dest, 'docs'));
  writeFileSync(join(dest, 'docs', 'index.html'), 'old');
  writeFileSync(join(staging, 'new-file'), 'new');
  writeFileSync(join(staging, 'docs'), 'a file now');
  await assert.rejects(mergeTree(staging, dest), (err: Error) => {
    assert.ok(err instanceof UploadRefusedError);
    assert.equal(err.code, 'upload_conflict');
    assert.match(err.message, /has files where .* already has directories \(docs\); nothing was changed/);
    return true;
  });
  assert.deepEqual(readdirSync(dest, { recursive: true }).sort(), ['docs', 'docs/index.html']);
});
