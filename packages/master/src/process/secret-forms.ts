/**
 * The shapes a secret value takes in what mastro and the workers write, so that the redactor finds each:
 *  - as given (output, the environment lines of a header, a string command);
 *  - JSON-escaped: the header's `argv: [...]` line and the "property changes" log (`"`, `\`,
 *    control characters escaped);
 *  - shell-quoted as the mastro worker shows a list command in the header's first line: POSIX
 *    single quotes (a `'` becomes `'"'"'`) or cmd.exe quoting (`"` becomes `\"`, `^` before
 *    metacharacters, `%%`); also JSON-escaped, as these lines can be quoted again;
 *  - as a Python bytes literal: Buildbot's worker shows `argv: [b'...', ...]` in its header (`\\`,
 *    `\n`, `\xNN` escapes, a `'` escaped when the value also holds a `"`);
 * and, for each, its line ends removed: the redactor lets every gap between two characters hold a
 * short run of line ends, which covers a secret cut by the worker's `max_line_length` (a newline
 * inserted anywhere) and line ends changed on the way (CRLF stored as LF, a lone CR as LF).
 */

/** `shellQuote` of the mastro worker (packages/worker/src/process/shell-quote.ts) applied inside an argument. */
const posixQuoted = (v: string) => v.replace(/'/g, `'"'"'`);
const windowsQuoted = (v: string) => v.replace(/(\\*)"/g, '$1$1\\"').replace(/[@()^"<>&|]/g, '^$&').replace(/%/g, '%%');
const jsonEscaped = (v: string) => JSON.stringify(v).slice(1, -1);

/** The inside of Python's repr() of the UTF-8 bytes of `v` (CPython's bytes_repr). */
function pythonBytesRepr(v: string, escapeSingleQuote: boolean): string {
  let out = '';
  for (const b of Buffer.from(v, 'utf8')) {
    if (b === 0x5c || (b === 0x27 && escapeSingleQuote)) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += String.fromCharCode(b);
  }
  return out;
}

export const LINE_ENDS = /[\r\n]+/g;

/** Every distinct form of `value`, line ends removed (they are matched between the characters instead). */
export function secretForms(value: string): string[] {
  const shaped = [value, posixQuoted(value), windowsQuoted(value)];
  const forms = new Set<string>();
  const python = [pythonBytesRepr(value, true), pythonBytesRepr(value, false)];
  for (const s of [...shaped, ...shaped.map(jsonEscaped), ...python]) forms.add(s.replace(LINE_ENDS, ''));
  return [...forms];
}

/** The longest run of line-end characters in `value` (a CRLF blank line is a run of 4). */
export function longestLineEndRun(value: string): number {
  let longest = 0;
  for (const m of value.match(LINE_ENDS) ?? []) longest = Math.max(longest, m.length);
  return longest;
}
