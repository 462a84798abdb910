/**
 * The constants of a log's way from a step to the database, in one place for the three modules
 * that share them: the step's side (process/step-log.ts: BufferedStepLog redacts, cuts into lines
 * and batches a step's output), the store (data/log-store.ts: LogStore coalesces lines into
 * compressed chunk rows) and the reader (data/log-reader.ts).
 */
import { LOG_OPTION_DEFAULTS } from '../options/logs.js';
import { DB_OPTION_DEFAULTS } from '../options/master.js';

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

/**
 * Defaults of the log store (LogStoreOptions in data/log-store.ts): the config's log options and its
 * `db` outage options, as declared with the options (options/logs.ts, options/master.ts).
 */
export const LOG_STORE_DEFAULTS = {
  ...LOG_OPTION_DEFAULTS,
  outageBufferSize: DB_OPTION_DEFAULTS.outageBufferSize,
  outageTimeoutMs: DB_OPTION_DEFAULTS.outageTimeout * 1000,
} as const;

/** The store's reusable encode buffer: one step log append (maxAppendBytes by default) and some. */
export const STORE_SCRATCH_BYTES = STEP_LOG_DEFAULTS.maxAppendBytes + 128 * 1024;
