import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stripStreamCodes } from '../src/data/log-reader.js';

test('the stream code of every stored line is removed and the text is otherwise unchanged', () => {
  assert.equal(stripStreamCodes(Buffer.from('ofirst\neerr\nh\noünï\n')), 'first\nerr\n\nünï\n');
});

test('a carriage return inside a line is kept with the character after it', () => {
  assert.equal(stripStreamCodes(Buffer.from('o10%\r20%\r100%\n')), '10%\r20%\r100%\n');
});

test('an empty stored line (no code) stays an empty line, and an unterminated last line is kept', () => {
  assert.equal(stripStreamCodes(Buffer.from('oa\n\notail')), 'a\n\ntail');
  assert.equal(stripStreamCodes(Buffer.alloc(0)), '');
});
