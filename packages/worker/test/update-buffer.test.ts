import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UpdateBuffer, splitChunk, type UpdatePair } from '../src/output/update-buffer.js';
import type { LineChunk } from '../src/output/line-splitter.js';

test('consecutive chunks of one stream merge into a single update', () => {
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 1000, 60_000);
  b.append('stdout', ['a\n', [1], [1]]);
  b.append('stdout', ['b\n', [1], [2]]);
  b.append('rc', 0);
  b.flush();
  assert.deepEqual(sent, [[['stdout', ['a\nb\n', [1, 3], [1, 2]]], ['rc', 0]]]);
});

test('a batch is sent when the next update would overflow the buffer size', () => {
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 40, 60_000);
  b.append('stdout', ['x'.repeat(15) + '\n', [15], [0]]);
  b.append('stderr', ['y'.repeat(15) + '\n', [15], [0]]);
  assert.equal(sent.length, 1);
  b.flush();
  assert.equal(sent.length, 2);
});

test('a batch is sent after the buffer timeout', async () => {
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 1000, 10);
  b.append('header', ['h\n', [1], [0]]);
  await new Promise<void>((resolve) => { const i = setInterval(() => { if (sent.length) { clearInterval(i); resolve(); } }, 2); });
  assert.deepEqual(sent[0], [['header', ['h\n', [1], [0]]]]);
});

test('log updates for the same file merge; different files stay apart', () => {
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 1000, 60_000);
  b.append('log', ['x', ['1\n', [1], [0]]]);
  b.append('log', ['x', ['2\n', [1], [0]]]);
  b.append('log', ['y', ['3\n', [1], [0]]]);
  b.flush();
  assert.deepEqual(sent[0], [['log', ['x', ['1\n2\n', [1, 3], [0, 0]]]], ['log', ['y', ['3\n', [1], [0]]]]]);
});

test('an oversized chunk is split on line boundaries', () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}\n`);
  const text = lines.join('');
  let pos = -1; const idx = lines.map((l) => (pos += l.length));
  const chunk: LineChunk = [text, idx, idx.map(() => 0)];
  const pieces = splitChunk(chunk, 100);
  assert.ok(pieces.length > 5);
  assert.equal(pieces.map((p) => p[0]).join(''), text);
  for (const [t, i, times] of pieces) {
    assert.ok(t.endsWith('\n'));
    assert.equal(i.at(-1), t.length - 1);
    assert.equal(i.length, times.length);
  }
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 100, 60_000);
  b.append('stdout', chunk);
  assert.equal(sent.map((s) => (s[0]![1] as LineChunk)[0]).join(''), text);
});

const bin = (n: number, c = 'x'): LineChunk => [c.repeat(n - 1) + '\n', [], []];

test('with growth (a mastro master), a full batch keeps growing up to maxSize, then goes at once', () => {
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 100, 60_000, { maxSize: 1000, lingerMs: 60_000 });
  for (let i = 0; i < 10; i++) b.append('stdout', bin(90)); // 900: past buffer_size, under maxSize
  assert.equal(sent.length, 0, 'a fast producer fills one big update');
  b.append('stdout', bin(200)); // would pass maxSize: the 900 go first
  assert.equal(sent.length, 1);
  assert.equal(((sent[0]![0]![1]) as LineChunk)[0].length, 900);
  b.dispose();
});

test('with growth, a batch that reached buffer_size leaves lingerMs later when no more output comes', async () => {
  const sent: UpdatePair[][] = [];
  let delivered!: () => void;
  const arrived = new Promise<void>((resolve) => { delivered = resolve; });
  const b = new UpdateBuffer((p) => { sent.push(p); delivered(); }, 100, 60_000, { maxSize: 1000, lingerMs: 5 });
  b.append('stdout', bin(50));
  b.append('stdout', bin(60)); // 110 >= buffer_size: the linger starts, not the 60 s buffer timeout
  await arrived;
  assert.equal(((sent[0]![0]![1]) as LineChunk)[0].length, 110);
});

test('with growth, a chunk bigger than maxSize is split at line ends into pieces of at most maxSize', () => {
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 100, 60_000, { maxSize: 300, lingerMs: 60_000 });
  const text = Array.from({ length: 10 }, () => 'y'.repeat(99) + '\n').join('');
  b.append('stdout', [text, [], []]);
  assert.deepEqual(sent.map((p) => ((p[0]![1]) as LineChunk)[0].length), [300, 300, 300, 100]);
  assert.equal(sent.map((p) => ((p[0]![1]) as LineChunk)[0]).join(''), text);
});

test('without growth (a Buildbot master), batches never pass buffer_size', () => {
  const sent: UpdatePair[][] = [];
  const b = new UpdateBuffer((p) => sent.push(p), 100, 60_000, { maxSize: 1000, lingerMs: 0 });
  for (let i = 0; i < 4; i++) b.append('stdout', bin(60));
  assert.equal(sent.length, 3);
  b.dispose();
});
