/**
 * The constants of a log's way from a step to the database, in one place for the three modules
 * that share them: the step's side (process/step-log.ts: BufferedStepLog redacts, cuts into lines
 * and batches a step's output), the store (data/log-store.ts: LogStore coalesces lines into
 * compressed chunk rows) and the reader (data/log-reader.ts).
 */

/** Buildbot's one-letter stream codes of the lines of an 's' (stdio) log. */
export const STREAM_CODES = { stdout: 'o', stderr: 'e', header: 'h' } as const;
export type StreamCode = (typeof STREAM_CODES)[keyof typeof STREAM_CODES];

/** The newline byte. Lines are cut at it on UTF-8 bytes as on text: it never occurs inside a multi-byte sequence. */
export const NEWLINE = 0x0a;

/** Line numbers are 32-bit integer columns (PostgreSQL rejects bigger parameters). */
export const MAX_LINE = 2 ** 31 - 1;

/** Defaults of a step's log (StepLogOptions in process/step-log.ts, documented there). */
export const STEP_LOG_DEFAULTS = {
  flushBytes: 256 * 1024,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxWaitMs: 10_000,
  maxAppendBytes: 1024 * 1024,
} as const;

/** Defaults of the log store (DataOptions in data/updates-api.ts and LogStoreOptions in data/log-store.ts, documented there). */
export const LOG_STORE_DEFAULTS = {
  logMaxSize: 64 * 1024 * 1024,
  logMaxTailSize: 1024 * 1024,
  // 256 KiB: a quarter of the rows, zlib calls and reads of 64 KiB (each costs ~0.1 ms of main-thread
  // time besides the bytes), still a small decode for a ranged /contents read.
  logChunkSize: 256 * 1024,
  logFlushDelayMs: 50,
  logCompressMinSize: 1024,
  logCompressLevel: 1,
  logCompressConcurrency: 2,
  outageBufferSize: 64 * 1024 * 1024,
  outageTimeoutMs: 60 * 60_000,
} as const;

/** The store's reusable encode buffer: one step log append (maxAppendBytes by default) and some. */
export const STORE_SCRATCH_BYTES = STEP_LOG_DEFAULTS.maxAppendBytes + 128 * 1024;
