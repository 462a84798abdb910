/**
 * File-path matchers of change filters (`files`, `onlyFiles`), compiled once into predicates.
 *
 * Glob syntax (gitignore-like, paths relative to the repository root, `/`-separated):
 *  - `*` any characters except `/`; `?` one character except `/`; `[abc]`, `[a-z]`, `[!a]` classes;
 *    `{md,rst}` alternatives; `**` any number of directories, also none (`docs/**`, `**` + `/test`);
 *    a backslash escapes the next character.
 *  - A pattern without `/` matches at any depth (`*.md` is every Markdown file); one with a `/`
 *    is anchored at the root (`docs/*.md`; a leading `/` just anchors).
 *  - A pattern also matches everything below a directory it names (`docs` = `docs/**`).
 *  - In a list, `!pattern` excludes: a path matches when some positive pattern matches (or the list
 *    has only exclusions) and no exclusion does. `['src/**', '!src/vendor/**']`.
 * A RegExp is tested against the whole path; a function gets the path. Globs match in time linear
 * in the path's length (a RegExp the config writes is its author's to keep fast).
 */
import { ClassRangeError, compileGlobNodes, literal, parseClass, type CharTest, type GlobNode } from 'mastro-protocol/glob-match';
import { ErrorCodes } from '../errors/catalog.js';

export type FileMatcher = string | RegExp | readonly (string | RegExp)[] | ((path: string) => boolean);
export type PathPredicate = (path: string) => boolean;

export class GlobError extends Error {
  readonly code = ErrorCodes.GLOB_INVALID;
  constructor(readonly pattern: string, problem: string) {
    super(`invalid file pattern ${JSON.stringify(pattern)}: ${problem}`);
    this.name = 'GlobError';
  }
}

const NOT_SLASH: CharTest = { kind: 'any', except: 'slash' };
const NOT_LINE_END: CharTest = { kind: 'any', except: 'lineEnd' };
const SLASH: GlobNode = { kind: 'one', test: { kind: 'char', code: 0x2f } };
// Any directories, also none: the RegExp `(?:.*/)?` these globs compiled to (`.` stops at line ends).
const ANY_DIRS: GlobNode = { kind: 'optional', seq: [{ kind: 'star', test: NOT_LINE_END }, SLASH] };
// `(?:/.*)?`: a pattern naming a directory matches what is below it.
const BELOW: GlobNode = { kind: 'optional', seq: [SLASH, { kind: 'star', test: NOT_LINE_END }] };

function translate(pattern: string, body: string): GlobNode[] {
  const out: GlobNode[] = [];
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\') {
      const next = body[++i];
      if (next === undefined) throw new GlobError(pattern, 'it ends with a lone backslash');
      out.push(...literal(next));
    } else if (ch === '*') {
      if (body[i + 1] === '*') {
        // `**/` = zero or more directories; a trailing or lone `**` = anything.
        if (body[i + 2] === '/') { out.push(ANY_DIRS); i += 2; } else { out.push({ kind: 'star', test: NOT_LINE_END }); i += 1; }
      } else out.push({ kind: 'star', test: NOT_SLASH });
    } else if (ch === '?') {
      out.push({ kind: 'one', test: NOT_SLASH });
    } else if (ch === '[') {
      // The first character after `[` is a member even when it is `]` (`[]a]`).
      const end = body.indexOf(']', i + 2);
      if (end < 0) throw new GlobError(pattern, "a '[' has no closing ']'");
      try { out.push({ kind: 'one', test: parseClass(body.slice(i + 1, end), ['!', '^']) }); } catch (err) {
        if (err instanceof ClassRangeError) throw new GlobError(pattern, err.message);
        throw err;
      }
      i = end;
    } else if (ch === '{') {
      const end = body.indexOf('}', i + 1);
      if (end < 0) throw new GlobError(pattern, "a '{' has no closing '}'");
      out.push({ kind: 'alt', options: body.slice(i + 1, end).split(',').map((alt) => translate(pattern, alt)) });
      i = end;
    } else {
      out.push(...literal(ch));
    }
  }
  return out;
}

/**
 * One glob (without a leading `!`) as a predicate over whole paths, linear in the path's length
 * (paths come from pushes: see mastro-protocol's glob-match.ts). Throws GlobError.
 */
export function compileGlob(pattern: string): PathPredicate {
  if (pattern.trim() === '') throw new GlobError(pattern, 'it is empty');
  let body = pattern.replace(/^\.\//, '');
  const anchored = body.slice(0, -1).includes('/');
  body = body.replace(/^\/+/, '').replace(/\/+$/, '');
  if (body === '') throw new GlobError(pattern, 'it names no path');
  return compileGlobNodes([...(anchored ? [] : [ANY_DIRS]), ...translate(pattern, body), BELOW]);
}

/** Compiles a matcher into a predicate over one path. Throws GlobError for a bad glob. */
export function compileFileMatcher(matcher: FileMatcher): PathPredicate {
  if (typeof matcher === 'function') return (path) => Boolean(matcher(path));
  const items = Array.isArray(matcher) ? matcher : [matcher as string | RegExp];
  const include: PathPredicate[] = [];
  const exclude: PathPredicate[] = [];
  for (const item of items) {
    if (item instanceof RegExp) {
      // A global/sticky RegExp keeps state between test() calls: use a stateless copy.
      const re = new RegExp(item.source, item.flags.replace(/[gy]/g, ''));
      include.push((path) => re.test(path));
    } else if (item.startsWith('!')) exclude.push(compileGlob(item.slice(1)));
    else include.push(compileGlob(item));
  }
  const onlyExclusions = include.length === 0;
  return (path) => (onlyExclusions || include.some((m) => m(path))) && !exclude.some((m) => m(path));
}
