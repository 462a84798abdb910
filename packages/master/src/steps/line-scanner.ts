/**
 * Splits streamed output into lines without holding the whole output: feed chunks, get complete
 * lines; a partial last line waits for the next chunk (or flush()). Used for warning counting.
 */
export class LineScanner {
  private partial = '';
  constructor(private readonly onLine: (line: string) => void, private readonly maxLineLength = 64 * 1024) {}

  push(chunk: string): void {
    let text = this.partial + chunk;
    let nl: number;
    let start = 0;
    while ((nl = text.indexOf('\n', start)) >= 0) {
      this.onLine(text.slice(start, nl).replace(/\r$/, ''));
      start = nl + 1;
    }
    text = text.slice(start);
    // A never-ending line is cut rather than buffered without bound.
    if (text.length > this.maxLineLength) { this.onLine(text); text = ''; }
    this.partial = text;
  }

  flush(): void {
    if (this.partial) this.onLine(this.partial);
    this.partial = '';
  }
}

/** The text of a `stdout`/`stderr` update value: a string, or Buildbot 3.7's `[text, newlineOffsets, times]`. */
export function updateText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}
