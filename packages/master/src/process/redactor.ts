/**
 * Removes secret values from text, replacing each with `<name>` as Buildbot does, in every form
 * mastro writes them (./secret-forms.ts: as given, JSON-escaped, shell-quoted), also when line ends
 * were inserted or changed inside them (cut at the worker's `max_line_length`, CRLF stored as LF).
 * Log output arrives in chunks, so a secret may be split across two chunks: a RedactingStream keeps
 * the last (longest match - 1) characters back until the next chunk or the end, and only emits text
 * in which no secret can still be completed.
 */
import { LINE_ENDS, longestLineEndRun, secretForms } from './secret-forms.js';

/** Shortest form redacted: one or two characters would shred every log and reveal more than they hide. */
const MIN_FORM_LENGTH = 3;

export class Redactor {
  private readonly secrets = new Map<string, string>(); // value -> name
  private readonly forms = new Map<string, string>(); // form without line ends -> name
  private pattern: RegExp | null = null;
  private maxLen = 0;
  /** Bumped whenever the set changes so streams can notice a new, longer secret. */
  version = 0;

  addSecret(name: string, value: string): void {
    if (value.length < MIN_FORM_LENGTH || this.secrets.get(value) === name) return;
    this.secrets.set(value, name);
    let run = 0;
    for (const [v, n] of this.secrets) {
      run = Math.max(run, longestLineEndRun(v));
      for (const f of secretForms(v)) if (f.length >= MIN_FORM_LENGTH) this.forms.set(f, n);
    }
    if (this.forms.size === 0) return;
    // Between two characters of a form: twice the longest run of line ends a secret has (each may
    // have become CRLF) and one more (a cut at the line limit); at least two. A longer run ends a match.
    const gap = Math.max(2, 2 * run + 1);
    const values = [...this.forms.keys()].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(values.map((f) => f.split('').map(escapeRegExp).join(`[\\r\\n]{0,${gap}}`)).join('|'), 'g');
    this.maxLen = values[0]!.length + (values[0]!.length - 1) * gap;
    this.version++;
  }

  get hasSecrets(): boolean { return this.pattern !== null; }
  /** The longest text one match can cover (a form with line ends in every gap). */
  get maxMatchLength(): number { return this.maxLen; }

  redact(text: string): string {
    if (!this.pattern || !text) return text;
    return text.replace(this.pattern, (m) => `<${this.nameOf(m)}>`);
  }

  /** Internal to RedactingStream: finds matches in `text`. */
  matcher(): RegExp | null {
    return this.pattern ? new RegExp(this.pattern.source, 'g') : null;
  }

  /** The name of the secret a match is a form of. */
  nameOf(match: string): string { return this.forms.get(match.replace(LINE_ENDS, '')) ?? 'secret'; }

  stream(): RedactingStream { return new RedactingStream(this); }
}

export class RedactingStream {
  private pending = '';
  constructor(private readonly redactor: Redactor) {}

  /** Returns the text that is safe to emit now (possibly ''). */
  push(chunk: string): string {
    if (!this.redactor.hasSecrets) {
      // Fast path: nothing to hide (the common case). Pending text can only exist if secrets appeared earlier.
      if (!this.pending) return chunk;
      const out = this.pending + chunk;
      this.pending = '';
      return out;
    }
    const buf = this.pending + chunk;
    let cut = buf.length - (this.redactor.maxMatchLength - 1);
    if (cut <= 0) { this.pending = buf; return ''; }
    const re = this.redactor.matcher()!;
    let out = '';
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(buf)) !== null && m.index < cut) {
      out += buf.slice(last, m.index) + `<${this.redactor.nameOf(m[0])}>`;
      last = m.index + m[0].length;
      // A match that started before the cut is complete (the tail is long enough), so it moves the cut.
      if (last > cut) cut = last;
    }
    out += buf.slice(last, cut);
    this.pending = buf.slice(cut);
    return out;
  }

  /** Emits whatever is held back (at the end of the stream). */
  flush(): string {
    const out = this.redactor.redact(this.pending);
    this.pending = '';
    return out;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
