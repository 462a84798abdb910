/** src/paths.ts: the containment rule the master and the worker share, `isInside(root, candidate)`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInside } from '../src/paths.js';
import { isInside as fromIndex } from '../src/index.js';

// Moved from the worker's paths test with the arguments in the shared order (root first).
test('isInside compares whole path components', () => {
  assert.equal(isInside('/b', '/b/..x'), true);
  assert.equal(isInside('/b', '/b'), true);
  assert.equal(isInside('/b', '/'), false);
  assert.equal(isInside('/b', '/..x'), false);
  assert.equal(isInside('/b', '/bb/x'), false);
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
