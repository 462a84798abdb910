/** Reads log lines back from chunk rows: line ranges for /contents and a page-wise stream for /raw. */
import type { Db } from '../db/index.js';
import { decodeChunk, decodeChunkBytes, type LogStore } from './log-store.js';
import { MAX_LINE, NEWLINE } from './log-constants.js';

/** Lines first..last (inclusive) as one string of complete lines. */
export async function readLogLines(db: Db, store: LogStore, logid: number, first: number, last: number): Promise<string> {
  last = Math.min(last, MAX_LINE);
  await store.flush(logid);
  const out: string[] = [];
  let next = first;
  while (next <= last) {
    const chunks = await db.logs.chunks(logid, next, last);
    if (!chunks.length) break;
    for (const c of chunks) {
      const lines = decodeChunk(c).split('\n');
      lines.pop(); // text ends with '\n'
      const from = Math.max(next, c.first_line) - c.first_line;
      const to = Math.min(last, c.last_line) - c.first_line;
      // A one-stream chunk stores its lines without codes; /contents gives every line its code.
      const code = c.stream ?? '';
      for (let i = from; i <= to; i++) out.push(code + lines[i]! + '\n');
      next = c.last_line + 1;
    }
  }
  return out.join('');
}

/**
 * Yields the whole log page by page (a few chunks at a time), so a huge log is never held in memory.
 * For 's' logs the one-letter stream prefix is stripped, as Buildbot's /raw does (chunks of one
 * stream are stored without it). Pieces are UTF-8
 * Buffers (whole lines, so never a split character): the HTTP layer writes them as they are, with no
 * decode to a string and encode back.
 */
export async function* streamLog(db: Db, store: LogStore, logid: number, type: string, pageChunks = 4): AsyncGenerator<Buffer> {
  await store.flush(logid);
  let next = 0;
  for (;;) {
    const chunks = await db.logs.chunks(logid, next, MAX_LINE, pageChunks);
    if (!chunks.length) return;
    for (const c of chunks) {
      const bytes = decodeChunkBytes(c);
      // One-stream chunks have no codes to strip. An inflated chunk is ours to edit; stored bytes
      // are the driver's row buffer, so copy those.
      yield type === 's' && !c.stream ? stripStreamCodesInPlace(c.compressed === 1 ? bytes : Buffer.from(bytes)) : bytes;
      next = c.last_line + 1;
    }
  }
}

/** The text of stored 's' log lines without their one-byte stream code ('o', 'e', 'h'). */
export function stripStreamCodes(buf: Buffer): string {
  return stripStreamCodesInPlace(Buffer.from(buf)).toString('utf8');
}

/**
 * Removes the stream code of every line by moving each line left over it, inside `buf` (a native
 * memmove per line, no allocation); returns the view of `buf` that holds the result.
 */
export function stripStreamCodesInPlace(buf: Buffer): Buffer {
  let o = 0;
  let start = 0;
  while (start < buf.length) {
    const nl = buf.indexOf(NEWLINE, start);
    const end = nl === -1 ? buf.length : nl + 1;
    // The code is ASCII, so skipping one byte never splits a UTF-8 sequence; an empty line (no code) stays empty.
    const from = buf[start] === NEWLINE ? start : start + 1;
    if (from !== o) buf.copyWithin(o, from, end);
    o += end - from;
    start = end;
  }
  return buf.subarray(0, o);
}
