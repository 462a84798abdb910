/** src/paths.ts: the containment rule the master and the worker share, `isInside(root, candidate)`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { isInside, platformPath } from '../src/paths.js';
import { isInside as fromIndex } from '../src/index.js';

// Moved from the worker's paths test with the arguments in the shared order (root first).
test('isInside compares whole path components', () => {
  assert.equal(isInside('/b', '/b/..x'), true);
  assert.equal(isInside('/b', '/b'), true);
  assert.equal(isInside('/b', '/'), false);
  assert.equal(isInside('/b', '/..x'), false);
  assert.equal(isInside('/b', '/bb/x'), false);
});

// Moved from the worker's paths test (platform-aware since the worker runs on Windows), root first.
test('on Windows containment ignores case and takes both slashes, and other drives or shares are outside', () => {
  assert.equal(isInside('C:\\work', 'c:\\WORK\\b\\x', 'win32'), true);
  assert.equal(isInside('C:\\work', 'C:/work/b/x', 'win32'), true);
  assert.equal(isInside('C:\\Work\\', 'C:\\work', 'win32'), true);
  assert.equal(isInside('C:\\work', 'C:\\workshop\\x', 'win32'), false);
  assert.equal(isInside('C:\\work', 'D:\\work\\x', 'win32'), false);
  assert.equal(isInside('C:\\work', '\\\\server\\share\\work\\x', 'win32'), false);
  assert.equal(isInside('\\\\server\\share\\w', '\\\\SERVER\\Share\\w\\x', 'win32'), true);
  assert.equal(isInside('C:\\work', 'C:\\work\\..cache', 'win32'), true);
  assert.equal(isInside('C:\\work', 'C:\\work\\..\\x', 'win32'), false);
});

test('on Linux and macOS containment is case-sensitive and a backslash is part of a name', () => {
  for (const platform of ['linux', 'darwin'] as const) {
    assert.equal(isInside('/work', '/Work/b', platform), false, platform);
    assert.equal(isInside('/work', '/work/..\\x', platform), true, platform);
  }
});

test('isInside takes the root first: a directory is inside its parent, not the other way round', () => {
  assert.equal(isInside('/srv/master', '/srv/master/uploads/a.txt'), true);
  assert.equal(isInside('/srv/master/uploads/a.txt', '/srv/master'), false);
  assert.equal(isInside('/srv/master', '/srv/master/../other'), false);
  assert.equal(isInside('/srv/master', '/srv/master/...'), true);
});

test('relative paths compare against the working directory like resolved ones', () => {
  assert.equal(isInside('.', 'a/b'), true);
  assert.equal(isInside('a', 'a/../b'), false);
});

test('mastro-protocol exports the same isInside the master and the worker import', () => {
  assert.equal(fromIndex, isInside);
});

test('platformPath gives Windows its path rules and every other platform POSIX\'s', () => {
  assert.equal(platformPath('win32'), path.win32);
  assert.equal(platformPath('linux'), path.posix);
  assert.equal(platformPath('darwin'), path.posix);
});
