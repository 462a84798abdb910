import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkerTagIndex } from '../src/process/tag-index.js';

const slot = (name: string, ...tags: string[]) => ({ name, tags: new Set(tags) });

test('the index finds the workers that have every tag, and which tags no worker has', () => {
  const idx = new WorkerTagIndex<ReturnType<typeof slot>>();
  const a = slot('a', 'os=linux', 'docker');
  const b = slot('b', 'os=linux');
  const c = slot('c', 'os=windows', 'docker');
  for (const s of [a, b, c]) idx.add(s);
  assert.deepEqual([...idx.matching(['os=linux'])].map((s) => s.name), ['a', 'b']);
  assert.deepEqual([...idx.matching(['docker', 'os=linux'])].map((s) => s.name), ['a']);
  assert.deepEqual([...idx.matching(['gpu'])], []);
  assert.deepEqual([...idx.matching([])], [], 'selection needs a tag');
  assert.deepEqual(idx.missing(['os=linux', 'gpu', 'arch=arm64']), ['gpu', 'arch=arm64']);
  idx.remove(a);
  assert.deepEqual([...idx.matching(['docker'])].map((s) => s.name), ['c']);
  idx.remove(c);
  assert.equal(idx.count('docker'), 0);
  assert.deepEqual(idx.missing(['docker']), ['docker'], 'a tag whose last worker left is missing');
});
