/**
 * Options of log storage (top-level keys of the config, like Buildbot's `logMaxSize` family), read by
 * the data layer's log writer (src/data/log-writer.ts). See declare.ts for how a declaration works.
 */
import { Default, Nullable, Type, defaultsOf, type Static } from './declare.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export const LogOptions = Type.Object({
  logMaxSize: Default(Nullable(Type.Integer({ minimum: 1024, description: 'Bytes kept per log (head + tail); null = unlimited' })), 64 * MiB),
  logMaxTailSize: Default(Type.Integer({ minimum: 0, description: 'Bytes of the end of a truncated log kept after the marker line; 0 keeps none' }), 1 * MiB),
  // 256 KiB: a quarter of the rows, zlib calls and reads of 64 KiB (each costs ~0.1 ms of main-thread
  // time besides the bytes), still a small decode for a ranged /contents read.
  logChunkSize: Default(Type.Integer({ minimum: 1024, maximum: 16 * MiB, description: 'Target size in bytes of one stored (uncompressed) log chunk row; a ranged read decodes one whole chunk' }), 256 * KiB),
  logFlushDelayMs: Default(Type.Integer({ minimum: 0, maximum: 60_000, description: 'Milliseconds appended lines may wait in memory to be coalesced into one chunk row (they are published at once either way)' }), 50),
  logCompressMinSize: Default(Type.Integer({ minimum: 0, description: 'Chunks of at least this many bytes are stored compressed with zlib' }), 1 * KiB),
  logCompressLevel: Default(Type.Integer({ minimum: 1, maximum: 9, description: 'zlib level of stored chunks, 1 (fastest) to 9 (smallest)' }), 1),
  logCompressConcurrency: Default(Type.Integer({ minimum: 1, maximum: 64, description: "Chunks compressed at once over all logs, off the main thread (libuv's pool)" }), 2),
});

export type LogOptions = Static<typeof LogOptions>;
export const LOG_OPTION_DEFAULTS = defaultsOf(LogOptions);
export const LOG_OPTION_KEYS = Object.keys(LogOptions.properties) as (keyof LogOptions)[];
