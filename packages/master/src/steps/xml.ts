/**
 * A small, forgiving XML reader: enough for test reports (JUnit and friends), not a validating parser.
 * It understands elements, attributes in any order with either quote style, the predefined and numeric
 * character entities, CDATA sections, comments, processing instructions and a DOCTYPE (skipped).
 * It is iterative (a stack, no recursion), so deeply nested input cannot overflow the call stack.
 */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** Concatenated character data directly inside this element (text and CDATA), entities decoded. */
  text: string;
}

export class XmlParseError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} (at character ${offset})`);
    this.name = 'XmlParseError';
  }
}

const NAMED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Decodes `&lt;`, `&#65;`, `&#x41;`...; unknown entities are kept verbatim rather than failing the report. */
export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*);/g, (whole, body: string) => {
    if (body[0] === '#') {
      const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[body] ?? whole;
  });
}

const NAME_RE = /[^\s/>=]+/y;
const ATTR_RE = /\s*([^\s/>=]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?/y;

/** Parses a document and returns its root element. Throws XmlParseError on input that has no usable root. */
export function parseXml(input: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const n = input.length;
  if (input.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark

  const appendText = (t: string) => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };

  while (i < n) {
    const lt = input.indexOf('<', i);
    if (lt < 0) { appendText(decodeEntities(input.slice(i))); break; }
    if (lt > i) appendText(decodeEntities(input.slice(i, lt)));
    i = lt;
    if (input.startsWith('<!--', i)) {
      const end = input.indexOf('-->', i + 4);
      if (end < 0) throw new XmlParseError('unterminated comment', i);
      i = end + 3;
    } else if (input.startsWith('<![CDATA[', i)) {
      const end = input.indexOf(']]>', i + 9);
      if (end < 0) throw new XmlParseError('unterminated CDATA section', i);
      appendText(input.slice(i + 9, end));
      i = end + 3;
    } else if (input.startsWith('<?', i)) {
      const end = input.indexOf('?>', i + 2);
      if (end < 0) throw new XmlParseError('unterminated processing instruction', i);
      i = end + 2;
    } else if (input.startsWith('<!', i)) {
      i = skipDeclaration(input, i);
    } else if (input[i + 1] === '/') {
      const end = input.indexOf('>', i + 2);
      if (end < 0) throw new XmlParseError('unterminated closing tag', i);
      const name = input.slice(i + 2, end).trim();
      // Pop up to the matching element; tolerate a missing close tag of an inner element.
      let k = stack.length - 1;
      while (k >= 0 && stack[k]!.name !== name) k--;
      if (k < 0) throw new XmlParseError(`closing tag </${name}> without an open <${name}>`, i);
      stack.length = k;
      i = end + 1;
    } else {
      NAME_RE.lastIndex = i + 1;
      const m = NAME_RE.exec(input);
      if (!m) throw new XmlParseError('malformed tag', i);
      const el: XmlElement = { name: m[0], attrs: {}, children: [], text: '' };
      let j = NAME_RE.lastIndex;
      const attrs: Record<string, string> = {};
      for (;;) {
        ATTR_RE.lastIndex = j;
        const a = ATTR_RE.exec(input);
        if (!a) break;
        attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? a[4] ?? '');
        j = ATTR_RE.lastIndex;
      }
      while (j < n && /\s/.test(input[j]!)) j++;
      let selfClosing = false;
      if (input[j] === '/') { selfClosing = true; j++; }
      if (input[j] !== '>') throw new XmlParseError(`malformed tag <${el.name}>`, i);
      (el as { attrs: Record<string, string> }).attrs = attrs;
      const parent = stack[stack.length - 1];
      if (parent) parent.children.push(el);
      else if (!root) root = el;
      else throw new XmlParseError(`second root element <${el.name}>`, i);
      if (!selfClosing) stack.push(el);
      i = j + 1;
    }
  }
  if (!root) throw new XmlParseError('no root element', 0);
  return root;
}

/** Skips `<!DOCTYPE ...>` including an internal subset in brackets. */
function skipDeclaration(input: string, start: number): number {
  let depth = 0;
  for (let i = start + 2; i < input.length; i++) {
    const c = input[i];
    if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '>' && depth <= 0) return i + 1;
  }
  throw new XmlParseError('unterminated declaration', start);
}

/** All descendants (depth first, document order) with the given local name; namespace prefixes are ignored. */
export function findAll(root: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  const todo: XmlElement[] = [root];
  while (todo.length) {
    const el = todo.pop()!;
    if (localName(el.name) === name) out.push(el);
    for (let k = el.children.length - 1; k >= 0; k--) todo.push(el.children[k]!);
  }
  return out;
}

export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(colon + 1);
}
