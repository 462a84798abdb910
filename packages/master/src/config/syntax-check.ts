/**
 * Where is the syntax error in a JavaScript config? Node's ES-module loader reports only "Unexpected
 * token ')'" (and a tsx loader only "Parse error FILE:1:1"), so on that failure the file is checked
 * once more with `node --check`, whose report has the line and a caret under the column. Run only
 * when loading already failed: it costs a process start.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** `FILE:LINE:COL: syntax error: MESSAGE`, or null when node --check finds nothing (or cannot run). */
export function locateSyntaxError(file: string): string | null {
  let source: string;
  try { source = readFileSync(file, 'utf8'); } catch { return null; }
  const r = spawnSync(process.execPath, ['--input-type=module', '--check'], { input: source, encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0 || typeof r.stderr !== 'string') return null;
  // [stdin]:2\n<source line>\n<spaces>^\n\nSyntaxError: Unexpected token ')'
  const lines = r.stderr.split('\n');
  const line = /^\[stdin\]:(\d+)$/.exec(lines[0] ?? '')?.[1];
  const caret = lines[2]?.indexOf('^') ?? -1;
  const message = lines.find((l) => /^SyntaxError: /.test(l))?.slice('SyntaxError: '.length);
  if (!line || !message) return null;
  return `${file}:${line}${caret >= 0 ? `:${caret + 1}` : ''}: syntax error: ${message}`;
}
