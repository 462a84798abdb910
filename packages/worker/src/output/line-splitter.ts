/**
 * Turns a stream of text chunks into whole lines, as Buildbot's LineBoundaryFinder does: the master
 * wants each `stdout`/`stderr`/`header`/`log` update as `[text, [index of each '\n'], [time of each
 * line]]`, with text ending on a line boundary. A partial last line is held back until its newline
 * arrives (or `flush()` at the end of the command). Over-long lines are cut at `maxLineLength`.
 */
import { quickNoMatch } from './newline.js';

export type LineChunk = [text: string, newlineIndexes: number[], lineTimes: number[]];

export class LineSplitter {
  private partial = '';
  private partialTime = 0;

  private readonly noBreaksToReplace: ((text: string) => boolean) | null;

  constructor(private readonly maxLineLength: number, private readonly newlineRe: RegExp) {
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
    let start = 0;
    let cut = false;
    for (let nl = all.indexOf('\n'); nl !== -1; nl = all.indexOf('\n', nl + 1)) {
      if (nl - start >= max) { cut = true; break; }
      indexes.push(nl);
      start = nl + 1;
    }
    if (cut || all.length - start >= max) return this.appendCutting(all, firstTime, time, hadPartial);
    this.partial = all.slice(start);
    if (this.partial !== '' && (indexes.length > 0 || !hadPartial)) this.partialTime = time;
    if (!indexes.length) return null;
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
      while (end - start >= max) {
        emit(all.slice(start, start + max - 1) + '\n');
        start += max - 1;
      }
      if (nl === -1) break;
      emit(all.slice(start, nl + 1));
      start = nl + 1;
    }
    this.partial = all.slice(start);
    if (this.partial !== '' && (pieces.length > 0 || !hadPartial)) this.partialTime = time;
    if (!pieces.length) return null;
    return [pieces.length === 1 ? pieces[0]! : pieces.join(''), indexes, times];
  }

  /** Ends the stream: a held-back partial line is returned with a newline added. */
  flush(): LineChunk | null {
    if (this.partial === '') return null;
    return this.append('\n', this.partialTime);
  }
}
