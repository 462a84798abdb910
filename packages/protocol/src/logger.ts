/**
 * The one logger type of every mastro package: the subset of pino's API that mastro calls, so the
 * master hands its pino logger (or a child of it) to any module, and the worker its line logger.
 * A module that needs fewer levels takes `Pick<Logger, 'warn'>` rather than a type of its own.
 *
 * Both of pino's call forms are accepted: `log.info({ worker, err }, 'attach failed')` and
 * `log.info('attach failed')` (a string alone is the message).
 */

/** One level: an object of fields and a message, or a message alone. */
export type LogFn = (objOrMsg: unknown, msg?: string) => void;

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** A logger adding `bindings` to every line (pino's child); loggers without it log as themselves. */
  child?(bindings: Record<string, unknown>): Logger;
}

const ignore: LogFn = () => undefined;

/** Logs nothing: for parts built without a logger (tests, the benchmark, embedded use). */
export const silentLogger: Logger = { trace: ignore, debug: ignore, info: ignore, warn: ignore, error: ignore };

/** `log.child(bindings)` where the logger has children; the logger itself otherwise. */
export function childLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  return log.child ? log.child(bindings) : log;
}
