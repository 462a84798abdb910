/**
 * Turns a stream of text chunks into whole lines, as Buildbot's LineBoundaryFinder does: the master
 * wants each `stdout`/`stderr`/`header`/`log` update as `[text, [index of each '\n'], [time of each
 * line]]`, with text ending on a line boundary. A partial last line is held back until its newline
 * arrives (or `flush()` at the end of the command). Over-long lines are cut at `maxLineLength`.
 *
 * In `binary` mode the text is a binary string (UTF-8 bytes, one latin1 character each): newlines
 * and `newline_re` matches are ASCII, so they are found as in text; only the cutting of over-long
 * lines must count characters rather than bytes and never cut inside one. Binary chunks carry no
 * offsets or times (`[text, [], []]`): the bytes a master asked for do not include them, and two
 * numbers per line were most of the worker's garbage.
 */
import { quickNoMatch } from './newline.js';

export type LineChunk = [text: string, newlineIndexes: number[], lineTimes: number[]];

export class LineSplitter {
  private partial = '';
  private partialTime = 0;

  private readonly noBreaksToReplace: ((text: string) => boolean) | null;

  constructor(private readonly maxLineLength: number, private readonly newlineRe: RegExp, private readonly binary = false) {
    this.noBreaksToReplace = quickNoMatch(newlineRe);
  }

  /** Adds text received at `time` (seconds); returns the complete lines so far, or null. */
  append(text: string, time: number): LineChunk | null {
    const hadPartial = this.partial !== '';
    const firstTime = hadPartial ? this.partialTime : time;
    let all = hadPartial ? this.partial + text : text;
    if (!this.noBreaksToReplace?.(all)) {
      this.newlineRe.lastIndex = 0;
      all = all.replace(this.newlineRe, '\n');
    }

    // Fast path (the common case): only the newline offsets are collected and the complete part is
    // sliced once; lines are copied one by one only when one must be cut for being over-long.
    const max = Math.max(2, this.maxLineLength);
    const indexes: number[] = [];
    const binary = this.binary;
    let start = 0;
    let lines = 0;
    let cut = false;
    for (let nl = all.indexOf('\n'); nl !== -1; nl = all.indexOf('\n', nl + 1)) {
      if (nl - start >= max) { cut = true; break; }
      if (!binary) indexes.push(nl);
      lines++;
      start = nl + 1;
    }
    if (cut || all.length - start >= max) return this.appendCutting(all, firstTime, time, hadPartial);
    this.partial = all.slice(start);
    if (this.partial !== '' && (lines > 0 || !hadPartial)) this.partialTime = time;
    if (!lines) return null;
    if (binary) return [start === all.length ? all : all.slice(0, start), [], []];
    const times = new Array<number>(indexes.length).fill(time);
    times[0] = firstTime;
    return [start === all.length ? all : all.slice(0, start), indexes, times];
  }

  /** The slow path: some line is longer than `maxLineLength` and is cut into several. */
  private appendCutting(all: string, firstTime: number, time: number, hadPartial: boolean): LineChunk | null {
    const pieces: string[] = [];
    const indexes: number[] = [];
    const times: number[] = [];
    let length = 0;
    const emit = (line: string) => {
      pieces.push(line);
      length += line.length;
      indexes.push(length - 1);
      times.push(times.length === 0 ? firstTime : time);
    };
    const max = Math.max(2, this.maxLineLength);
    let start = 0;
    for (;;) {
      const nl = all.indexOf('\n', start);
      const end = nl === -1 ? all.length : nl;
      // Cut an over-long line into pieces of max-1 characters plus an added newline.
      for (let cut = this.cutPoint(all, start, end, max); cut !== -1; cut = this.cutPoint(all, start, end, max)) {
        emit(all.slice(start, cut) + '\n');
        start = cut;
      }
      if (nl === -1) break;
      emit(all.slice(start, nl + 1));
      start = nl + 1;
    }
    this.partial = all.slice(start);
    if (this.partial !== '' && (pieces.length > 0 || !hadPartial)) this.partialTime = time;
    if (!pieces.length) return null;
    const text = pieces.length === 1 ? pieces[0]! : pieces.join('');
    return this.binary ? [text, [], []] : [text, indexes, times];
  }

  /**
   * Where the line `all[start, end)` must be cut: after its first max-1 characters when it has at
   * least `max`, else -1. In binary mode a character is a lead byte with its continuation bytes
   * (0x80-0xBF), so the count is of characters, as Buildbot's, and the cut falls between two.
   */
  private cutPoint(all: string, start: number, end: number, max: number): number {
    if (end - start < max) return -1;
    if (!this.binary) return start + max - 1;
    let chars = 0;
    for (let i = start; i < end; i++) {
      const c = all.charCodeAt(i);
      if (c >= 0x80 && c < 0xc0) continue;
      if (chars === max - 1) return i;
      chars++;
    }
    return -1;
  }

  /** Ends the stream: a held-back partial line is returned with a newline added. */
  flush(): LineChunk | null {
    if (this.partial === '') return null;
    return this.append('\n', this.partialTime);
  }
}
