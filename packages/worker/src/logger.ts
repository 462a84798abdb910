/**
 * The worker's log: plain timestamped lines (no dependency), meant to be read by people and grep,
 * behind the Logger type every mastro package shares (mastro-protocol), so the worker's modules
 * and the protocol connection log the same way the master's do.
 *
 * A line is `<ISO time> <message>`; warnings and errors say so after the time (`warning: `,
 * `error: `); fields given as an object follow the message as JSON. trace and debug lines are
 * written only when asked for (`verbose`), as the worker logged nothing of the kind before.
 */
import type { LogFn, Logger } from 'mastro-protocol';

export interface LineLoggerOptions {
  /** Also write trace and debug lines. Default false. */
  verbose?: boolean;
}

/** Errors become their message (JSON would write `{}`), everything else as JSON would. */
function fieldsText(fields: unknown): string {
  if (fields instanceof Error) return fields.message;
  try {
    return JSON.stringify(fields, (_k, v: unknown) => (v instanceof Error ? v.message : typeof v === 'bigint' ? String(v) : v)) ?? String(fields);
  } catch {
    return String(fields); // a cycle: still say something
  }
}

/** The text of one call, `log.info('msg')` or `log.info({ fields }, 'msg')`. */
export function lineText(objOrMsg: unknown, msg?: string): string {
  if (typeof objOrMsg === 'string' && msg === undefined) return objOrMsg;
  const fields = objOrMsg === undefined || objOrMsg === null ? '' : fieldsText(objOrMsg);
  return msg === undefined ? fields : fields ? `${msg} ${fields}` : msg;
}

export function lineLogger(write: (text: string) => void = (t) => process.stdout.write(t), options: LineLoggerOptions = {}): Logger {
  const level = (label: string): LogFn => (objOrMsg, msg) => write(`${new Date().toISOString()} ${label}${lineText(objOrMsg, msg)}\n`);
  const quiet: LogFn = () => undefined;
  return {
    trace: options.verbose ? level('trace: ') : quiet,
    debug: options.verbose ? level('debug: ') : quiet,
    info: level(''),
    warn: level('warning: '),
    error: level('error: '),
  };
}

/** A logger that puts `prefix` before every message (a command's `[shell 12] `). */
export function prefixedLogger(log: Logger, prefix: string): Logger {
  // Called through `log` (not as detached functions): a pino logger needs its `this`.
  const wrap = (level: 'trace' | 'debug' | 'info' | 'warn' | 'error'): LogFn => (objOrMsg, msg) => {
    if (typeof objOrMsg === 'string' && msg === undefined) log[level](prefix + objOrMsg);
    else log[level](objOrMsg, prefix + (msg ?? ''));
  };
  return { trace: wrap('trace'), debug: wrap('debug'), info: wrap('info'), warn: wrap('warn'), error: wrap('error') };
}
