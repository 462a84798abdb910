/** removeTree: removes any tree, however deep, without following links. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testTempDir } from './support/temp-dir.js';
import { removeTree } from '../src/workers/remove-tree.js';

test('a 2,000-level directory chain, which fs.rmSync gives up on, is removed', async (t) => {
  const root = testTempDir(t, 'remove-tree');
  const chain = (name: string) => {
    const top = join(root, name);
    let dir = top;
    mkdirSync(dir);
    for (let i = 0; i < 2000; i++) { dir = join(dir, 'a'); mkdirSync(dir); }
    writeFileSync(join(dir, 'bottom'), 'x');
    return top;
  };
  // Node 20's fs.rmSync recurses in JavaScript and overflows its stack on this chain; Node 24's
  // (native since Node 23) removes it. Where it fails, it fails with RangeError.
  const probe = chain('probe');
  try { rmSync(probe, { recursive: true, force: true }); } catch (err) {
    assert.ok(err instanceof RangeError, `fs.rmSync overflows its stack on this chain: ${err}`);
    await removeTree(probe); // what rmSync left (the temp dir's own cleanup would overflow on it too)
  }
  assert.equal(existsSync(probe), false);
  const top = chain('chain');
  await removeTree(top);
  assert.equal(existsSync(top), false);
});

test('links are removed, never followed: what they point at stays', async (t) => {
  const root = testTempDir(t, 'remove-tree');
  const outside = join(root, 'outside');
  mkdirSync(outside);
  writeFileSync(join(outside, 'precious'), 'keep me');
  const tree = join(root, 'tree');
  mkdirSync(join(tree, 'sub'), { recursive: true });
  symlinkSync(outside, join(tree, 'sub', 'to-dir'));
  symlinkSync(join(outside, 'precious'), join(tree, 'to-file'));
  writeFileSync(join(tree, 'sub', 'f'), 'f');
  await removeTree(tree);
  assert.equal(existsSync(tree), false);
  assert.equal(readFileSync(join(outside, 'precious'), 'utf8'), 'keep me');
});

test('a path that does not exist counts as removed; a single file is unlinked', async (t) => {
  const root = testTempDir(t, 'remove-tree');
  await removeTree(join(root, 'missing'));
  writeFileSync(join(root, 'file'), 'x');
  await removeTree(join(root, 'file'));
  assert.equal(existsSync(join(root, 'file')), false);
});
