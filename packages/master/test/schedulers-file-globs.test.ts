/**
 * The master's file globs (src/schedulers/file-globs.ts: change filters' `files`/`onlyFiles`),
 * built on mastro-protocol's linear-time glob engine: checked against the RegExp translation they
 * compiled to before, on seeded random patterns and paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileGlob, GlobError } from '../src/schedulers/file-globs.js';
import { randomString, seededRandom } from '../../../test/support/seeded-random.js';

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
