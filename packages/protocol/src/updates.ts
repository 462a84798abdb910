/** Helpers for `update` payloads (lists of [key, value] pairs). */
import type { LineChunk, UpdatePair } from './schemas/updates.js';

/**
 * Builds a LineChunk from whole lines of text (`text` should end with `\n`): the offsets of each
 * `\n` and one timestamp (Unix seconds) per line.
 */
export function lineChunk(text: string, time: number = Date.now() / 1000): LineChunk {
  const indexes: number[] = [];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) indexes.push(i);
  return [text, indexes, indexes.map(() => time)];
}

/** Folds update pairs into a record: the last value per key wins, text keys (`stdout`, `stderr`, `header`) concatenate. */
export function updatePairsToRecord(pairs: readonly UpdatePair[], into: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [key, value] of pairs) {
    if (key === 'stdout' || key === 'stderr' || key === 'header') {
      const text = typeof value === 'string' ? value
        : value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8')
          : (value as LineChunk)[0];
      into[key] = (typeof into[key] === 'string' ? into[key] : '') + text;
    } else {
      into[key] = value;
    }
  }
  return into;
}
