import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineSplitter } from '../src/output/line-splitter.js';
import { compileNewlineRe, DEFAULT_NEWLINE_RE } from '../src/output/newline.js';

const splitter = (max = 4096) => new LineSplitter(max, compileNewlineRe(DEFAULT_NEWLINE_RE));

test('whole lines come out with their newline indexes and times', () => {
  assert.deepEqual(splitter().append('a\nbb\n', 10), ['a\nbb\n', [1, 4], [10, 10]]);
});

test('a partial line waits for its newline and keeps its first time', () => {
  const s = splitter();
  assert.equal(s.append('par', 1), null);
  assert.deepEqual(s.append('tial\nnext\n', 2), ['partial\nnext\n', [7, 12], [1, 2]]);
});

test('flush ends a partial last line with a newline', () => {
  const s = splitter();
  s.append('tail', 5);
  assert.deepEqual(s.flush(), ['tail\n', [4], [5]]);
  assert.equal(s.flush(), null);
});

test('CRLF split across chunks and a lone CR both become one newline', () => {
  const s = splitter();
  assert.equal(s.append('a\r', 1), null);
  assert.deepEqual(s.append('\nb\rc\n', 1), ['a\nb\nc\n', [1, 3, 5], [1, 1, 1]]);
});

test('cursor-control escapes and backspaces count as line breaks', () => {
  assert.equal(splitter().append('x\x1b[2Jy\x08\x08z\n', 0)![0], 'x\ny\nz\n');
});

test('over-long lines are cut at the maximum length', () => {
  const out = splitter(5).append('abcdefghij\n', 0)!;
  for (const line of out[0].split('\n').slice(0, -1)) assert.ok(line.length <= 4);
  assert.equal(out[0].replace(/\n/g, ''), 'abcdefghij');
  assert.equal(out[1].length, out[2].length);
});

test('Python octal escapes in newline_re are translated', () => {
  assert.ok(compileNewlineRe('\\033\\[u').test('\x1b[u'));
});

test('random chunkings give whole lines whose indexes point at each newline and whose lines respect the maximum', () => {
  let seed = 12345;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let round = 0; round < 50; round++) {
    const max = 2 + rand(40);
    let input = '';
    for (let i = 0; i < 30; i++) input += 'x'.repeat(rand(60)) + (rand(4) ? '\n' : '');
    const s = splitter(max);
    let out = '';
    for (let pos = 0; pos < input.length;) {
      const len = 1 + rand(50);
      const chunk = s.append(input.slice(pos, pos + len), pos);
      pos += len;
      if (!chunk) continue;
      const [text, indexes, times] = chunk;
      assert.equal(indexes.length, times.length);
      assert.deepEqual(indexes, [...text.matchAll(/\n/g)].map((m) => m.index));
      assert.ok(text.split('\n').every((line) => line.length < max), `a line is longer than ${max - 1}`);
      out += text;
    }
    out += s.flush()?.[0] ?? '';
    assert.equal(out.replace(/\n/g, ''), input.replace(/\n/g, ''));
  }
});

test('a newline_re other than the default is always applied, even to text without CR or escapes', () => {
  const s = new LineSplitter(4096, compileNewlineRe('(;)'));
  assert.deepEqual(s.append('a;b\n', 1), ['a\nb\n', [1, 3], [1, 1]]);
});
