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
 * A RegExp is tested against the whole path; a function gets the path.
 */
export type FileMatcher = string | RegExp | readonly (string | RegExp)[] | ((path: string) => boolean);
export type PathPredicate = (path: string) => boolean;

export class GlobError extends Error {
  constructor(readonly pattern: string, problem: string) {
    super(`invalid file pattern ${JSON.stringify(pattern)}: ${problem}`);
    this.name = 'GlobError';
  }
}

const REGEX_SPECIAL = /[.+^${}()|[\]\\]/;

function translate(pattern: string, body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch === '\\') {
      const next = body[++i];
      if (next === undefined) throw new GlobError(pattern, 'it ends with a lone backslash');
      out += REGEX_SPECIAL.test(next) || next === '*' || next === '?' ? `\\${next}` : next;
    } else if (ch === '*') {
      if (body[i + 1] === '*') {
        // `**/` = zero or more directories; a trailing or lone `**` = anything.
        if (body[i + 2] === '/') { out += '(?:.*/)?'; i += 2; } else { out += '.*'; i += 1; }
      } else out += '[^/]*';
    } else if (ch === '?') {
      out += '[^/]';
    } else if (ch === '[') {
      const end = body.indexOf(']', i + 2);
      if (end < 0) throw new GlobError(pattern, "a '[' has no closing ']'");
      let cls = body.slice(i + 1, end);
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (ch === '{') {
      const end = body.indexOf('}', i + 1);
      if (end < 0) throw new GlobError(pattern, "a '{' has no closing '}'");
      const alternatives = body.slice(i + 1, end).split(',').map((alt) => translate(pattern, alt));
      out += `(?:${alternatives.join('|')})`;
      i = end;
    } else {
      out += REGEX_SPECIAL.test(ch) ? `\\${ch}` : ch;
    }
  }
  return out;
}

/** One glob (without a leading `!`) as a RegExp over whole paths. Throws GlobError. */
export function globToRegExp(pattern: string): RegExp {
  if (pattern.trim() === '') throw new GlobError(pattern, 'it is empty');
  let body = pattern.replace(/^\.\//, '');
  const anchored = body.slice(0, -1).includes('/');
  body = body.replace(/^\/+/, '').replace(/\/+$/, '');
  if (body === '') throw new GlobError(pattern, 'it names no path');
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${translate(pattern, body)}(?:/.*)?$`);
}

/** Compiles a matcher into a predicate over one path. Throws GlobError for a bad glob. */
export function compileFileMatcher(matcher: FileMatcher): PathPredicate {
  if (typeof matcher === 'function') return (path) => Boolean(matcher(path));
  const items = Array.isArray(matcher) ? matcher : [matcher as string | RegExp];
  const include: RegExp[] = [];
  const exclude: RegExp[] = [];
  for (const item of items) {
    // A global/sticky RegExp keeps state between test() calls: use a stateless copy.
    if (item instanceof RegExp) include.push(new RegExp(item.source, item.flags.replace(/[gy]/g, '')));
    else if (item.startsWith('!')) exclude.push(globToRegExp(item.slice(1)));
    else include.push(globToRegExp(item));
  }
  const onlyExclusions = include.length === 0;
  return (path) => (onlyExclusions || include.some((re) => re.test(path))) && !exclude.some((re) => re.test(path));
}
