/** Errors of the data layer, each with a stable code and the HTTP status the REST layer maps it to. */
import { describeOutage, outageOf } from '../db/outage.js';
import { ErrorCodes, type ErrorCode } from '../errors/catalog.js';

export class DataError extends Error {
  constructor(readonly code: ErrorCode, readonly status: number, message: string) { super(message); }
}

/** Unknown path or id (HTTP 404). */
export class NotFoundError extends DataError {
  constructor(message: string) { super(ErrorCodes.NOT_FOUND, 404, message); }
}

/** Malformed query parameter, unknown field in a filter or order (HTTP 400). */
export class BadQueryError extends DataError {
  constructor(message: string) { super(ErrorCodes.BAD_QUERY, 400, message); }
}

/** A write that refers to something that does not exist (a programming error in the caller). */
export class UnknownEntityError extends DataError {
  constructor(kind: string, id: number | string) { super(ErrorCodes.UNKNOWN_ENTITY, 404, `no ${kind} with id ${id}`); }
}

/**
 * Lines of a log could not be kept: the database was unavailable for so long that the output held
 * meanwhile filled `db.outageBufferSize` (HTTP 503). The log gets a marker line where they were.
 */
export class LogLinesDroppedError extends DataError {
  constructor(readonly logid: number, readonly lines: number, readonly bytes: number, reason: string) {
    super(ErrorCodes.LOG_LINES_DROPPED, 503, `${lines} line(s) (${bytes} bytes) of log ${logid} were dropped: ${reason}`);
  }
}

/**
 * What a caller is told when its request failed because the database is unavailable (a stopped
 * server, a full disk: HTTP 503), or null when `err` is something else.
 */
export function outageMessage(err: unknown): string | null {
  const o = outageOf(err);
  return o ? `${describeOutage(o)}; send the request again then` : null;
}
