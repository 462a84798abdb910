/**
 * src/commands/glob.ts: the `glob` command lists what buildbot-worker lists, which is Python's
 * `glob.glob(pattern, recursive=True)`. Checked against Debian's Python itself on one directory
 * tree for seeded random patterns, and on patterns that made the former RegExp backtrack.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { globPaths } from '../src/commands/glob.js';
import { randomString, seededRandom } from '../../../test/support/seeded-random.js';
import { runCommand, tempDir } from './support/helpers.js';

/** Debian's python3 (the one buildbot-worker runs on). */
const PY = '/usr/bin/python3';

/** What Python's glob gives for each pattern under `dir`, without the `dir/` prefix (trailing separators kept), sorted. */
function pythonGlob(dir: string, patterns: readonly string[]): string[][] {
  const python = `
import glob, json, os, sys
d = sys.argv[1]
print(json.dumps([sorted(f[len(d) + 1:] for f in glob.glob(os.path.join(d, p), recursive=True)) for p in json.load(sys.stdin)]))
`;
  return JSON.parse(execFileSync(PY, ['-c', python, dir], { input: JSON.stringify(patterns), encoding: 'utf8' })) as string[][];
}

const ours = async (dir: string, pattern: string) => (await globPaths(`${dir}/${pattern}`)).map((f) => f.slice(dir.length + 1)).sort();

const NAMES = ['a', 'b', 'ab', 'ba', 'a-b', 'a]b', ']', '!a', '^a', '.a', 'a.b', 'a\nb', '[a]', 'é', 'sub/a', 'sub/.b', 'sub/deep/ab', '.dot/a'];

function tree(dir: string): void {
  for (const n of NAMES) {
    mkdirSync(path.dirname(path.join(dir, n)), { recursive: true });
    writeFileSync(path.join(dir, n), '');
  }
}

test("glob lists what Python's glob.glob(recursive=True) lists, on seeded random patterns", async (t) => {
  const dir = tempDir(t);
  tree(dir);
  const rnd = seededRandom(7);
  const parts = ['a', 'b', '*', '?', '.', '-', ']', '!', '^', '\n', '[ab]', '[!a]', '[]a]', '[!]a]', '[^a]', '[a-b]', '[b-a]', '[', 'é', 'sub/', '**/', '*/'];
  const patterns = Array.from({ length: 600 }, () => randomString(rnd, parts, 4) || 'a');
  const expected = pythonGlob(dir, patterns);
  assert.ok(expected.filter((e) => e.length > 0).length > 150, 'enough patterns match something');
  assert.ok(expected.some((e) => e.some((f) => f.endsWith('/'))), 'some results are directories only');
  const mismatches: Array<{ pattern: string; got: string[] | string; python: string[] | undefined }> = [];
  for (const [i, p] of patterns.entries()) {
    let got: string[] | string;
    try { got = await ours(dir, p); } catch (err) { got = `threw ${(err as Error).message}`; }
    if (JSON.stringify(got) !== JSON.stringify(expected[i])) mismatches.push({ pattern: p, got, python: expected[i] });
  }
  assert.deepEqual(mismatches, []);
});

test("bracket classes mean what they mean to Python: [!]a] and []a] hold ']', [^a] is '^' or 'a', [b-a] is empty", async (t) => {
  const dir = tempDir(t);
  tree(dir);
  assert.deepEqual(await ours(dir, '[!]a]'), ['b', 'é']);
  assert.deepEqual(await ours(dir, '[]a]'), [']', 'a']);
  assert.deepEqual(await ours(dir, '[^a]a'), ['^a']);
  assert.deepEqual(await ours(dir, '[b-a]*'), []);
});

test('a pattern with many stars over long file names answers right (the RegExp it compiled to backtracked for hours)', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'a'.repeat(250)), '');
  writeFileSync(path.join(dir, `${'a'.repeat(200)}b`), '');
  assert.deepEqual(await ours(dir, `${'*a'.repeat(10)}*c`), []);
  assert.deepEqual(await ours(dir, `${'*a'.repeat(10)}*b`), [`${'a'.repeat(200)}b`]);
});

test('a pattern ending in a separator lists directories only, with the separator, through the command as a master sends it', async (t) => {
  const dir = tempDir(t);
  tree(dir);
  const r = await runCommand('glob', { path: `${dir}/*/` }, { basedir: dir });
  assert.equal(r.rc(), 0);
  assert.deepEqual((r.value('files') as string[]).sort(), [`${dir}/sub/`]);
  assert.deepEqual(pythonGlob(dir, ['*/']), [['sub/']]);
});
