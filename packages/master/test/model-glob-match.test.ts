/**
 * The linear-time glob engine (src/model/glob-match.ts) and its dialects. Each dialect is checked
 * against the matcher it replaced or follows, on thousands of seeded random patterns and strings:
 *  - change-filter file globs against the RegExp translation they compiled to before;
 *  - authz and discovery wildcards against their former RegExps;
 *  - fnmatch against Python's own `fnmatch.fnmatchcase` (what Buildbot uses for PR properties).
 * Adversarial inputs (patterns that made the RegExps backtrack for minutes) must answer right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { compileGlob, GlobError } from '../src/schedulers/file-globs.js';
import { compileFnmatch, compileGlobNodes, compileWildcard, literal } from '../src/model/glob-match.js';
import { seededRandom } from '../../../test/support/seeded-random.js';

/** The RegExp translation file globs had before the linear-time engine: the reference semantics. */
function formerFileGlobRegExp(pattern: string): RegExp {
  const special = /[.+^${}()|[\]\\]/;
  const translate = (body: string): string => {
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const ch = body[i]!;
      if (ch === '\\') {
        const next = body[++i];
        if (next === undefined) throw new GlobError(pattern, 'lone backslash');
        out += special.test(next) || next === '*' || next === '?' ? `\\${next}` : next;
      } else if (ch === '*') {
        if (body[i + 1] === '*') {
          if (body[i + 2] === '/') { out += '(?:.*/)?'; i += 2; } else { out += '.*'; i += 1; }
        } else out += '[^/]*';
      } else if (ch === '?') out += '[^/]';
      else if (ch === '[') {
        const end = body.indexOf(']', i + 2);
        if (end < 0) throw new GlobError(pattern, 'no ]');
        let cls = body.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      } else if (ch === '{') {
        const end = body.indexOf('}', i + 1);
        if (end < 0) throw new GlobError(pattern, 'no }');
        out += `(?:${body.slice(i + 1, end).split(',').map(translate).join('|')})`;
        i = end;
      } else out += special.test(ch) ? `\\${ch}` : ch;
    }
    return out;
  };
  if (pattern.trim() === '') throw new GlobError(pattern, 'empty');
  let body = pattern.replace(/^\.\//, '');
  const anchored = body.slice(0, -1).includes('/');
  body = body.replace(/^\/+/, '').replace(/\/+$/, '');
  if (body === '') throw new GlobError(pattern, 'no path');
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${translate(body)}(?:/.*)?$`);
}

function randomString(rnd: () => number, parts: readonly string[], maxParts: number): string {
  let s = '';
  const n = Math.floor(rnd() * (maxParts + 1));
  for (let i = 0; i < n; i++) s += parts[Math.floor(rnd() * parts.length)]!;
  return s;
}

const PATH_PARTS = ['a', 'b', 'c', '-', '.', '/', '/', '*', '^', '\n', 'é'];

test('file globs match exactly what their former RegExps matched, on seeded random patterns and paths', () => {
  const rnd = seededRandom(20261207);
  const patternParts = ['a', 'b', '-', '.', '/', '*', '**', '**/', '?', '[ab]', '[!a]', '[^b]', '[a-c]', '[-a]', '[\\]', '{a,b*}', '{,/c}', '\\*', '\\a', '+', '(', '$', './', '[!]', 'é'];
  let compared = 0;
  for (let p = 0; p < 1500; p++) {
    const pattern = randomString(rnd, patternParts, 6);
    let ours: ((s: string) => boolean) | Error;
    let former: RegExp | Error;
    try { ours = compileGlob(pattern); } catch (err) { ours = err as Error; }
    try { former = formerFileGlobRegExp(pattern); } catch (err) { former = err as Error; }
    if (former instanceof Error || ours instanceof Error) {
      assert.ok(former instanceof GlobError && ours instanceof GlobError, `pattern ${JSON.stringify(pattern)}: ${String(former)} / ${String(ours)}`);
      continue;
    }
    for (let k = 0; k < 40; k++) {
      const path = randomString(rnd, PATH_PARTS, 10);
      assert.equal(ours(path), former.test(path), `pattern ${JSON.stringify(pattern)} on ${JSON.stringify(path)}`);
      compared++;
    }
  }
  assert.ok(compared > 30_000, `${compared} comparisons`);
});

test('authz and discovery wildcards match exactly what their former RegExps matched', () => {
  const rnd = seededRandom(7);
  const escape = (g: string) => g.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  for (let p = 0; p < 1000; p++) {
    const pattern = randomString(rnd, ['a', 'b', '/', '*', '?', '.', '[a]', '\\', '-', '\n'], 6);
    const authz = new RegExp(`^${escape(pattern).replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    const discovery = new RegExp(`^${escape(pattern).replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
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
