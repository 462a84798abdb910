/** src/util/safe-equal.ts: the one constant-time comparison of secrets (www auth, hooks, try). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeEqual } from '../src/util/safe-equal.js';

test('safeEqual is true for equal strings and false for any difference in content or length', () => {
  assert.equal(safeEqual('s3cret', 's3cret'), true);
  assert.equal(safeEqual('', ''), true);
  assert.equal(safeEqual('s3cret', 's3creT'), false);
  assert.equal(safeEqual('s3cret', 's3cret '), false);
  assert.equal(safeEqual('s3cret', ''), false);
});

test('safeEqual compares characters, not bytes of one encoding: é and e + combining accent differ', () => {
  assert.equal(safeEqual('caf\u00e9', 'caf\u00e9'), true);
  assert.equal(safeEqual('caf\u00e9', 'cafe\u0301'), false);
  assert.equal(safeEqual('\u00e9', '\u00c3\u00a9'), false); // é vs the latin1 reading of its UTF-8 bytes
});
