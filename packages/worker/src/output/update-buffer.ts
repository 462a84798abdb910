/**
 * Collects a command's updates and sends them in batches, like Buildbot's BufferManager: a batch
 * goes out when it would exceed `bufferSize` (approximate bytes) or `bufferTimeoutMs` after its
 * first update. Consecutive chunks of the same stream are merged into one `[text, indexes, times]`
 * triple so the master receives few, large updates. A chunk larger than the buffer is split on
 * line boundaries.
 */
import type { LineChunk } from './line-splitter.js';

export type UpdatePair = [key: string, value: unknown];

const TEXT_KEYS = new Set(['stdout', 'stderr', 'header']);
/** Buildbot's cost model: text length plus 8 bytes per index and per time; 20 for other values. */
const chunkCost = (c: LineChunk) => c[0].length + 8 * (c[1].length + c[2].length);

function isLineChunk(key: string, value: unknown): value is LineChunk { return TEXT_KEYS.has(key) && Array.isArray(value); }

export function costOf(key: string, value: unknown): number {
  if (isLineChunk(key, value)) return chunkCost(value);
  if (key === 'log' && Array.isArray(value)) return chunkCost(value[1] as LineChunk);
  return 20;
}

function mergeInto(target: LineChunk, extra: LineChunk): void {
  const offset = target[0].length;
  target[0] += extra[0];
  for (const i of extra[1]) target[1].push(offset + i);
  for (const t of extra[2]) target[2].push(t);
}

/**
 * Appends `[key, value]` to a batch, merging it into the last pair when both are text of the same
 * stream (or of the same named log). Line chunks are copied, so later merges never mutate what the
 * caller holds.
 */
export function appendPair(batch: UpdatePair[], key: string, value: unknown): void {
  const last = batch[batch.length - 1];
  if (last && last[0] === key && isLineChunk(key, value) && isLineChunk(key, last[1])) {
    mergeInto(last[1], value);
  } else if (last && key === 'log' && last[0] === 'log' && (last[1] as [string, LineChunk])[0] === (value as [string, LineChunk])[0]) {
    mergeInto((last[1] as [string, LineChunk])[1], (value as [string, LineChunk])[1]);
  } else {
    const own = isLineChunk(key, value) ? [value[0], [...value[1]], [...value[2]]]
      : key === 'log' && Array.isArray(value) ? [value[0], [(value[1] as LineChunk)[0], [...(value[1] as LineChunk)[1]], [...(value[1] as LineChunk)[2]]]]
      : value;
    batch.push([key, own]);
  }
}

/**
 * Splits a chunk into pieces of whole lines, each costing at most `limit` (one line minimum). A
 * binary chunk (no offsets: output as bytes) is cut at the last newline within the limit.
 */
export function splitChunk(chunk: LineChunk, limit: number): LineChunk[] {
  const [text, indexes, times] = chunk;
  if (!indexes.length) return splitBinaryChunk(text, limit);
  const out: LineChunk[] = [];
  let line = 0;
  while (line < indexes.length) {
    const startChar = line === 0 ? 0 : indexes[line - 1]! + 1;
    let end = line + 1; // exclusive line index
    while (end < indexes.length && (indexes[end]! + 1 - startChar) + 16 * (end + 1 - line) <= limit) end++;
    const endChar = indexes[end - 1]! + 1;
    out.push([text.slice(startChar, endChar), indexes.slice(line, end).map((i) => i - startChar), times.slice(line, end)]);
    line = end;
  }
  return out;
}

function splitBinaryChunk(text: string, limit: number): LineChunk[] {
  const out: LineChunk[] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.length;
    if (end - start > limit) {
      const nl = text.lastIndexOf('\n', start + limit - 1);
      end = nl >= start ? nl + 1 : text.indexOf('\n', start + limit) + 1 || text.length; // one long line goes whole
    }
    out.push([text.slice(start, end), [], []]);
    start = end;
  }
  return out;
}

/**
 * How a batch may grow past `buffer_size` for a fast producer (sessions with a mastro master, which
 * asked for bytes): once it holds `buffer_size`, it waits up to `lingerMs` more for output, and goes
 * at `maxSize`. Each update costs both sides about as much as tens of KiB of output, so a command
 * printing hundreds of MB/s goes in 1 MiB updates instead of 64 KiB ones; a slow one is unaffected
 * and live lines are late by `lingerMs` at most.
 */
export interface BatchGrowth { maxSize: number; lingerMs: number }

/** Default of the worker's `updateLingerMs`: well under what a person watching a live log notices. */
export const DEFAULT_UPDATE_LINGER_MS = 20;

export class UpdateBuffer {
  private batch: UpdatePair[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  /** Largest batch: `bufferSize` (Buildbot's rule), or the growth's `maxSize`. */
  private readonly limit: number;

  constructor(private readonly send: (pairs: UpdatePair[]) => void, private readonly bufferSize: number, private readonly bufferTimeoutMs: number,
    private readonly growth: BatchGrowth | null = null) {
    this.limit = growth && growth.lingerMs > 0 ? Math.max(bufferSize, growth.maxSize) : bufferSize;
  }

  append(key: string, value: unknown): void {
    const cost = costOf(key, value);
    if (cost > this.limit - this.size) {
      this.flush();
      if (cost > this.limit) { this.sendOversized(key, value); return; }
    }
    this.add(key, value, cost);
    if (this.limit > this.bufferSize && this.size >= this.bufferSize && !this.lingerTimer) {
      this.lingerTimer = setTimeout(() => { this.lingerTimer = null; this.flush(); }, this.growth!.lingerMs);
    }
  }

  flush(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.lingerTimer) { clearTimeout(this.lingerTimer); this.lingerTimer = null; }
    if (!this.batch.length) return;
    const batch = this.batch;
    this.batch = [];
    this.size = 0;
    this.send(batch);
  }

  /** Stops the timers without sending (the command is gone). */
  dispose(): void {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (this.lingerTimer) { clearTimeout(this.lingerTimer); this.lingerTimer = null; }
    this.batch = [];
    this.size = 0;
  }

  private add(key: string, value: unknown, cost: number): void {
    appendPair(this.batch, key, value);
    this.size += cost;
    if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.flush(); }, this.bufferTimeoutMs);
  }

  private sendOversized(key: string, value: unknown): void {
    if (isLineChunk(key, value)) { for (const piece of splitChunk(value, this.limit)) this.send([[key, piece]]); return; }
    if (key === 'log' && Array.isArray(value)) {
      const [name, chunk] = value as [string, LineChunk];
      for (const piece of splitChunk(chunk, this.limit)) this.send([['log', [name, piece]]]);
      return;
    }
    this.send([[key, value]]);
  }
}
