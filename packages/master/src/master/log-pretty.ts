/**
 * pino's JSON lines as lines for people: `12:03:04.512 INFO  [www] http server listening port=8010`,
 * the level coloured (ANSI) when asked, an error's stack below its line. Used when `mastro start
 * --foreground` writes to a terminal; a file, a pipe or the journal keep the JSON, which tools read.
 * Small on purpose: pino-pretty would bring a dozen packages for this.
 */
const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[36m' },
  30: { name: 'INFO', color: '\x1b[32m' },
  40: { name: 'WARN', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[35;1m' },
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Keys every line has, shown in their own place or not at all. */
const OWN_KEYS = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component', 'err', 'v']);

function pad(n: number, width = 2): string { return String(n).padStart(width, '0'); }

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s="]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** One JSON log line as text (with its newline); a line that is not JSON is passed on as it is. */
export function prettyLine(line: string, color: boolean): string {
  let o: Record<string, unknown>;
  try { o = JSON.parse(line) as Record<string, unknown>; } catch { return line.endsWith('\n') ? line : `${line}\n`; }
  if (!o || typeof o !== 'object') return `${line}\n`;
  const c = (code: string, text: string) => (color ? `${code}${text}${RESET}` : text);
  const t = new Date(typeof o.time === 'number' ? o.time : Date.now());
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
  const level = LEVELS[o.level as number] ?? { name: String(o.level ?? '?'), color: '' };
  const parts = [c(DIM, time), c(level.color, level.name.padEnd(5))];
  if (typeof o.component === 'string') parts.push(c(DIM, `[${o.component}]`));
  if (o.msg !== undefined) parts.push(String(o.msg));
  for (const [k, v] of Object.entries(o)) if (!OWN_KEYS.has(k) && v !== undefined) parts.push(`${c(DIM, `${k}=`)}${value(v)}`);
  let out = parts.join(' ');
  const err = o.err as { message?: string; stack?: string; type?: string } | string | undefined;
  if (typeof err === 'string') out += ` ${c(DIM, 'err=')}${value(err)}`;
  else if (err && typeof err === 'object') {
    const stack = err.stack ?? `${err.type ?? 'Error'}: ${err.message ?? ''}`;
    out += `\n${stack.split('\n').map((l) => `    ${c(level.color, l)}`).join('\n')}`;
  }
  return `${out}\n`;
}

/** A pino destination that formats each line and hands it to `next`. */
export class PrettyStream {
  constructor(private readonly next: { write(chunk: string): boolean }, private readonly color: boolean) {}

  write(chunk: string): boolean {
    let out = '';
    for (const line of chunk.split('\n')) if (line) out += prettyLine(line, this.color);
    return this.next.write(out);
  }
}
