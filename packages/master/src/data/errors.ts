/** Errors of the data layer, each with a stable code and the HTTP status the REST layer maps it to. */
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
