/**
 * mastro-protocol: Buildbot's `msgpack_experimental_v7` worker protocol (msgpack or JSON over
 * WebSocket), and the floor both other packages stand on. The surface below is deliberate; the tar
 * helpers live at the `mastro-protocol/tar` subpath, the linear-time glob engine the master and the
 * worker share at `mastro-protocol/glob-match`.
 * Twisted's Perspective Broker, Buildbot's default worker protocol, is the `pb` namespace (also at `mastro-protocol/pb`).
 */
export * as pb from './pb/index.js';
export { PROTOCOL_NAME, DEFAULT_PORT, ENCODING_HEADER, DEFAULT_MAX_FRAME_SIZE, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_KEEPALIVE_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_MARK, DEFAULT_MAX_PENDING_REQUESTS, DEFAULT_CLOSE_GRACE_MS, DEFAULT_WORKER_SETTINGS,
  DEFAULT_MAX_PEER_ERRORS_PER_MINUTE, DEFAULT_MAX_WARNINGS_PER_MINUTE, DEFAULT_MAX_BUFFERED_BYTES } from './constants.js';
export { ErrorCodes, ErrorCatalog, CloseCodes, ProtocolError, RemoteError, closeReason, shortText, MAX_PLACEHOLDER_CHARS } from './errors.js';
export { RateBudget } from './rate-budget.js';
export type { ErrorCode, CloseCode } from './errors.js';
export { encodeMessage, decodeMessage, BINARY_KEY } from './codec.js';
export type { Encoding } from './codec.js';
export { ProtocolConnection } from './connection.js';
export type { ConnectionOptions, RequestHandler, CloseInfo } from './connection.js';
export { validateMessage, validateCommandArgs, validateWorkerInfo, messageSchemas, KNOWN_OPS, isKnownOp } from './validation.js';
export type { ValidationResult, KnownOp } from './validation.js';
export { basicAuthHeader, parseBasicAuthHeader, workerUrl } from './auth.js';
export { POOL_HEADER, POOL_MEMBER_NAME_RE, poolNameProblem, poolWorkerName, poolOfRequest, poolRefusal } from './pool.js';
export { TAG_RE, PLATFORM_TAG_KEYS, TagError, parseTagList, checkTags, workerOs } from './tags.js';
export { lineChunk, updatePairsToRecord } from './updates.js';

// Helpers the master and the worker share.
export { isInside, platformPath } from './paths.js';
export { backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { silentLogger, childLogger } from './logger.js';
export type { Logger, LogFn } from './logger.js';

// Schemas and the TypeScript types written beside them.
export type { CommandId, Envelope, Schema } from './schemas/common.js';
export * from './schemas/master-to-worker.js';
export * from './schemas/worker-to-master.js';
export * from './schemas/response.js';
export * from './schemas/updates.js';
export * from './schemas/commands.js';
export type { ShellArgs, ObfuscatedWord, LogfileSpec } from './schemas/commands-shell.js';
export { shellArgsSchema } from './schemas/commands-shell.js';
export * from './schemas/commands-fs.js';
export * from './schemas/commands-transfer.js';
