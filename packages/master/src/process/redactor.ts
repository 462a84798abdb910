/**
 * Removes secret values from text, replacing each with `<name>` as Buildbot does.
 * Log output arrives in chunks, so a secret may be split across two chunks: a RedactingStream keeps
 * the last (longest secret length - 1) characters back until the next chunk or the end, and only
 * emits text in which no secret can still be completed.
 */
export class Redactor {
  private readonly secrets = new Map<string, string>(); // value -> name
  private pattern: RegExp | null = null;
  private maxLen = 0;
  /** Bumped whenever the set changes so streams can notice a new, longer secret. */
  version = 0;

  addSecret(name: string, value: string): void {
    // Very short values (one or two characters) would shred every log and reveal more than they hide.
    if (value.length < 3 || this.secrets.get(value) === name) return;
    this.secrets.set(value, name);
    const values = [...this.secrets.keys()].sort((a, b) => b.length - a.length);
    this.pattern = new RegExp(values.map(escapeRegExp).join('|'), 'g');
    this.maxLen = values[0].length;
    this.version++;
  }

  get hasSecrets(): boolean { return this.pattern !== null; }
  get maxSecretLength(): number { return this.maxLen; }

  redact(text: string): string {
    if (!this.pattern || !text) return text;
    return text.replace(this.pattern, (m) => `<${this.secrets.get(m)}>`);
  }

  /** Internal to RedactingStream: finds matches in `text`. */
  matcher(): RegExp | null {
    return this.pattern ? new RegExp(this.pattern.source, 'g') : null;
  }

  nameOf(value: string): string { return this.secrets.get(value) ?? 'secret'; }

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
    let cut = buf.length - (this.redactor.maxSecretLength - 1);
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
