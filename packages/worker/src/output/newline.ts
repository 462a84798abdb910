/**
 * The master sends `newline_re` as a Python regular expression (Buildbot's default turns `\r\n`,
 * a lone `\r` and some cursor-movement escapes into line breaks). JavaScript regexps understand the
 * same syntax except Python's octal escapes (`\033`), which are rewritten to `\xHH` here.
 */
export const DEFAULT_NEWLINE_RE = '(\\r\\n|\\r(?=.)|\\033\\[u|\\033\\[[0-9]+;[0-9]+[Hf]|\\033\\[2J|\\x08+)';

export function compileNewlineRe(pythonRe: string): RegExp {
  const js = pythonRe.replace(/\\(0[0-7]{1,2}|[1-3][0-7]{2})/g, (_m, oct: string) =>
    `\\x${parseInt(oct, 8).toString(16).padStart(2, '0')}`);
  return new RegExp(js, 'g');
}

/**
 * Every match of Buildbot's default `newline_re` starts with `\r`, ESC or backspace, so text with none
 * of them needs no replacement pass (the common case for fast output). Null for other expressions.
 */
export function quickNoMatch(re: RegExp): ((text: string) => boolean) | null {
  if (re.source !== compileNewlineRe(DEFAULT_NEWLINE_RE).source) return null;
  return (text) => text.indexOf('\r') === -1 && text.indexOf('\x1b') === -1 && text.indexOf('\x08') === -1;
}
