/**
 * ANSI SGR colours for log lines: 30–37/90–97 foreground, 40–47/100–107 background, 1 bold,
 * 22/39/49/0 resets. Other escape sequences (cursor moves, 256/true colour) are dropped so they
 * never show as garbage. Parsing is per line: a virtualised view renders lines out of order.
 */
const ESC_SEQ = /\x1b\[([0-9;]*)([A-Za-z])|\x1b[()][A-Za-z0-9]|\x1b/g;

interface Style { fg: number | null; bg: number | null; bold: boolean }

function applySgr(style: Style, params: string): void {
  const codes = params === '' ? [0] : params.split(';').map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) { style.fg = null; style.bg = null; style.bold = false; }
    else if (c === 1) style.bold = true;
    else if (c === 22) style.bold = false;
    else if (c >= 30 && c <= 37) style.fg = c - 30;
    else if (c >= 90 && c <= 97) style.fg = c - 90 + 8;
    else if (c === 39) style.fg = null;
    else if (c >= 40 && c <= 47) style.bg = c - 40;
    else if (c >= 100 && c <= 107) style.bg = c - 100 + 8;
    else if (c === 49) style.bg = null;
    else if (c === 38 || c === 48) i += codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0; // extended colour: skip its arguments
  }
}

function className(s: Style): string {
  const parts: string[] = [];
  if (s.fg !== null) parts.push(`a-f${s.fg}`);
  if (s.bg !== null) parts.push(`a-b${s.bg}`);
  if (s.bold) parts.push('a-bold');
  return parts.join(' ');
}

/** Appends `line` to `parent` as text nodes and styled spans. */
export function renderAnsi(parent: Node, line: string): void {
  if (!line.includes('\x1b')) { parent.appendChild(document.createTextNode(line)); return; }
  const style: Style = { fg: null, bg: null, bold: false };
  let last = 0;
  const emit = (text: string) => {
    if (!text) return;
    const cls = className(style);
    if (!cls) { parent.appendChild(document.createTextNode(text)); return; }
    const span = document.createElement('span');
    span.className = cls;
    span.textContent = text;
    parent.appendChild(span);
  };
  ESC_SEQ.lastIndex = 0;
  for (let m = ESC_SEQ.exec(line); m; m = ESC_SEQ.exec(line)) {
    emit(line.slice(last, m.index));
    if (m[2] === 'm') applySgr(style, m[1] ?? '');
    last = m.index + m[0].length;
  }
  emit(line.slice(last));
}

/** The text of a line without escape sequences (for search and copy). */
export function stripAnsi(line: string): string {
  return line.replace(ESC_SEQ, '');
}
