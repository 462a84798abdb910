/**
 * IRC lines (RFC 1459 §2.3, RFC 2812 §2.3): parsing what the server sends, formatting what the
 * client sends, and cutting chat text to fit. A line is at most 512 bytes with its CR LF, and the
 * server relays a PRIVMSG to others with our `:nick!user@host ` prefix added, so the text of one
 * message must leave room for that prefix too; longer text is split into several messages, at
 * spaces where it can, never inside a UTF-8 character, one message per line of the text.
 */

export const MAX_LINE_BYTES = 512;

export interface IrcMessage {
  /** `server.name` or `nick!user@host`, without the colon. */
  prefix?: string;
  /** Upper-case command or three-digit numeric. */
  command: string;
  params: string[];
}

/** Parses one line (without CR LF); IRCv3 message tags are skipped. Null for an empty line. */
export function parseLine(line: string): IrcMessage | null {
  let rest = line.replace(/[\r\n]+$/, '');
  if (rest.startsWith('@')) rest = rest.slice(rest.indexOf(' ') + 1 || rest.length);
  rest = rest.replace(/^ +/, '');
  if (!rest) return null;
  let prefix: string | undefined;
  if (rest.startsWith(':')) {
    const sp = rest.indexOf(' ');
    if (sp < 0) return null;
    prefix = rest.slice(1, sp);
    rest = rest.slice(sp + 1).replace(/^ +/, '');
  }
  const params: string[] = [];
  let command = '';
  while (rest) {
    if (command && rest.startsWith(':')) { params.push(rest.slice(1)); break; }
    const sp = rest.indexOf(' ');
    const word = sp < 0 ? rest : rest.slice(0, sp);
    if (!command) command = word.toUpperCase(); else params.push(word);
    rest = sp < 0 ? '' : rest.slice(sp + 1).replace(/^ +/, '');
  }
  if (!command) return null;
  return prefix === undefined ? { command, params } : { prefix, command, params };
}

/**
 * Formats a command; the last parameter becomes a trailing one (`:text`) when it must.
 * Throws on CR, LF or NUL in any parameter (they would end the line and inject another command).
 */
export function formatLine(command: string, ...params: string[]): string {
  for (const p of params) if (/[\r\n\0]/.test(p)) throw new Error(`an IRC parameter may not hold CR, LF or NUL: ${JSON.stringify(p.slice(0, 40))}`);
  const out = [command];
  params.forEach((p, i) => {
    const last = i === params.length - 1;
    if (!last && (p === '' || p.includes(' ') || p.startsWith(':'))) throw new Error(`only the last IRC parameter may be empty, hold spaces or start with ':': ${JSON.stringify(p)}`);
    out.push(last && (p === '' || p.includes(' ') || p.startsWith(':')) ? `:${p}` : p);
  });
  return out.join(' ');
}

/** The nick of a `nick!user@host` prefix. */
export function nickOf(prefix: string | undefined): string {
  if (!prefix) return '';
  const bang = prefix.indexOf('!');
  return bang < 0 ? prefix : prefix.slice(0, bang);
}

/** Channel names start with one of `#&+!` (RFC 2812 §1.3; the server's CHANTYPES in 005 may narrow it). */
export function isChannel(target: string, chanTypes = '#&+!'): boolean {
  return target.length > 0 && chanTypes.includes(target[0]!);
}

/** IRC's case folding for nick comparison (RFC 1459: `[]\~` are the upper case of `{}|^`). */
export function ircLower(s: string): string {
  return s.toLowerCase().replace(/[[\]\\~]/g, (c) => ({ '[': '{', ']': '}', '\\': '|', '~': '^' })[c]!);
}

/**
 * Splits chat text into pieces of at most `maxBytes` UTF-8 bytes each: one or more per line of
 * the text (empty lines are dropped: IRC cannot send them), cut at the last space that fits, or
 * at a character boundary when a word alone is too long. Control characters other than IRC's
 * formatting codes (bold, colour, …) become spaces.
 */
export function splitText(text: string, maxBytes: number): string[] {
  if (maxBytes < 4) throw new RangeError(`maxBytes must leave room for one character (4 bytes), got ${maxBytes}`);
  const out: string[] = [];
  for (const raw of text.split(/\r\n|\r|\n/)) {
    // \x02 bold, \x03 colour, \x0f reset, \x11 monospace, \x16 reverse, \x1d italic, \x1e strike, \x1f underline
    let line = raw.replace(/[\0-\x01\x04-\x0e\x10\x12-\x15\x17-\x1c\x7f]/g, ' ').replace(/\s+$/, '');
    while (line) {
      if (Buffer.byteLength(line) <= maxBytes) { out.push(line); break; }
      let cut = fitChars(line, maxBytes);
      const space = line.lastIndexOf(' ', cut);
      if (space > cut / 2) cut = space;
      out.push(line.slice(0, cut).replace(/\s+$/, ''));
      line = line.slice(cut).replace(/^ +/, '');
    }
  }
  return out.filter((s) => s.length > 0);
}

/** The longest prefix of `s` (in UTF-16 units, whole code points) that fits in `maxBytes` bytes. */
function fitChars(s: string, maxBytes: number): number {
  let bytes = 0;
  let i = 0;
  for (const ch of s) {
    const b = Buffer.byteLength(ch);
    if (bytes + b > maxBytes) break;
    bytes += b;
    i += ch.length;
  }
  return i;
}
