/** Public surface of the data layer. */
export { DataConnector, ENDPOINTS, type GetResult } from './connector.js';
export type * from './updates-api.js';
export type * from './types.js';
export { parseResultSpec, type ResultSpec, type Filter } from './resultspec.js';
export { DataError, NotFoundError, BadQueryError, UnknownEntityError, LogLinesDroppedError, outageMessage } from './errors.js';
export { LOG_STORE_DEFAULTS } from './log-constants.js';
export type { LockState, LockOwnerInfo, LockKind, LockMode } from './resources/locks.js';
export type { ChangeSourceEntry } from './resources/changesources.js';
