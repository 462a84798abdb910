/**
 * The linear-time glob engine (src/glob-match.ts) and its dialects. Each dialect is checked
 * against the matcher it replaced or follows, on thousands of seeded random patterns and strings:
 *  - authz and discovery wildcards against their former RegExps;
 *  - fnmatch against Python's own `fnmatch.fnmatchcase` (what Buildbot uses for PR properties,
 *    and buildbot-worker's glob for names).
 * The master's file globs, built on the same engine, have theirs in
 * packages/master/test/schedulers-file-globs.test.ts. Adversarial inputs (patterns that made the
 * RegExps backtrack for minutes) must answer right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { compileFnmatch, compileGlobNodes, compileWildcard, literal } from '../src/glob-match.js';
import { randomString, seededRandom } from '../../../test/support/seeded-random.js';

test('authz and discovery wildcards match exactly what their former RegExps matched', () => {
  const rnd = seededRandom(7);
  const escapeGlob = (g: string) => g.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  for (let p = 0; p < 1000; p++) {
    const pattern = randomString(rnd, ['a', 'b', '/', '*', '?', '.', '[a]', '\\', '-', '\n'], 6);
    const authz = new RegExp(`^${escapeGlob(pattern).replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const discovery = new RegExp(`^${escapeGlob(pattern).replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    const lineEnd = compileWildcard(pattern, 'lineEnd');
    const slash = compileWildcard(pattern, 'slash');
    for (let k = 0; k < 30; k++) {
      const s = randomString(rnd, ['a', 'b', '/', '*', '?', '.', '[', ']', '\\', '-', '\n'], 8);
      assert.equal(lineEnd(s), authz.test(s), `authz ${JSON.stringify(pattern)} on ${JSON.stringify(s)}`);
      assert.equal(slash(s), discovery.test(s), `discovery ${JSON.stringify(pattern)} on ${JSON.stringify(s)}`);
    }
  }
});

test("fnmatch matches exactly what Python's fnmatch.fnmatchcase does (Buildbot's PR property globs)", () => {
  const rnd = seededRandom(42);
  const cases: Array<[string, string]> = [];
  for (let p = 0; p < 400; p++) {
    const pattern = randomString(rnd, ['a', 'b', '.', '*', '?', '[ab]', '[!a]', '[]a]', '[!]]', '[a-c]', '[c-a]', '[', ']', '-', '\\', '^', '$'], 6);
    for (let k = 0; k < 20; k++) cases.push([pattern, randomString(rnd, ['a', 'b', 'c', '.', '[', ']', '!', '-', '\\', '^', '$'], 8)]);
  }
  const python = 'import fnmatch, json, sys\nprint(json.dumps([fnmatch.fnmatchcase(n, p) for p, n in json.load(sys.stdin)]))';
  const expected = JSON.parse(execFileSync('python3', ['-c', python], { input: JSON.stringify(cases), encoding: 'utf8' })) as boolean[];
  cases.forEach(([pattern, name], i) => {
    assert.equal(compileFnmatch(pattern)(name), expected[i], `fnmatch(${JSON.stringify(name)}, ${JSON.stringify(pattern)})`);
  });
});

test("fnmatch without exceptions matches what Python's fnmatch.fnmatchcase does, line ends included (buildbot-worker's glob names)", () => {
  const rnd = seededRandom(4242);
  const cases: Array<[string, string]> = [];
  for (let p = 0; p < 400; p++) {
    const pattern = randomString(rnd, ['a', '\n', '*', '?', '[ab]', '[!a]', '[!\n]', '[]a]', '[c-a]', '[', ']', '^'], 6);
    for (let k = 0; k < 20; k++) cases.push([pattern, randomString(rnd, ['a', 'b', '\n', '\r', '\u2028', '[', ']', '^'], 8)]);
  }
  const python = 'import fnmatch, json, sys\nprint(json.dumps([fnmatch.fnmatchcase(n, p) for p, n in json.load(sys.stdin)]))';
  const expected = JSON.parse(execFileSync('python3', ['-c', python], { input: JSON.stringify(cases), encoding: 'utf8' })) as boolean[];
  cases.forEach(([pattern, name], i) => {
    assert.equal(compileFnmatch(pattern, 'none')(name), expected[i], `fnmatch(${JSON.stringify(name)}, ${JSON.stringify(pattern)})`);
  });
  // The master's PR property globs keep `*` and `?` from line ends, as before.
  assert.equal(compileFnmatch('a*b', 'lineEnd')('a\nb'), false);
  assert.equal(compileFnmatch('a*b', 'none')('a\nb'), true);
});

test('wildcards with many stars answer right on 4 KiB strings (their RegExps backtracked)', () => {
  const name = 'x'.repeat(4096);
  assert.equal(compileWildcard('*x*x*x*x*x*x*x*x*y', 'lineEnd')(name), false);
  assert.equal(compileWildcard('*x*x*x*x*x*x*x*x*', 'lineEnd')(name), true);
  assert.equal(compileWildcard('*x*x*x*x*x*x*x*x*y', 'slash')(name), false);
  assert.equal(compileFnmatch('github.*.*.*.*.*.*.*.*.z')(`github.${'.'.repeat(4096)}`), false);
  assert.equal(compileFnmatch('github.*.*.*.*.*.*.*.*.[a-z]')(`github.${'.'.repeat(4096)}q`), true);
});

test('the engine matches whole strings, empty ones included', () => {
  const abc = compileGlobNodes(literal('abc'));
  assert.deepEqual(['abc', 'ab', 'abcd', ''].map(abc), [true, false, false, false]);
  assert.equal(compileGlobNodes([])(''), true);
  assert.equal(compileGlobNodes([])('a'), false);
});

test('a glob whose DFA would have thousands of states answers right when its state cache starts over', () => {
  // `*a` and twelve `?`: the live states remember which of the last 13 characters were `a`, 2^12 sets.
  const m = compileWildcard(`*a${'?'.repeat(12)}`, 'slash');
  const re = /^[^/]*a[^/]{12}$/;
  const rnd = seededRandom(99);
  for (let k = 0; k < 3000; k++) {
    const s = randomString(rnd, ['a', 'b'], 40);
    assert.equal(m(s), re.test(s), JSON.stringify(s));
  }
});
