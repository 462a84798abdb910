/**
 * The protocol error catalog: every error a peer can cause or meet has a stable code, a message
 * template, and the WebSocket close code used when the error ends the connection.
 * Codes are wire-stable: tests, logs and other implementations may match on them.
 */

/** WebSocket close codes (RFC 6455 §7.4.1), plus mastro's own in the 4000-4999 private range. */
export const CloseCodes = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  /** mastro: the peer stopped answering keepalives (half-open connection). */
  KEEPALIVE_TIMEOUT: 4000,
  /** mastro: the peer was replaced by a newer connection under the same name, or refused. */
  REPLACED: 4001,
} as const;
export type CloseCode = (typeof CloseCodes)[keyof typeof CloseCodes];

interface CatalogEntry {
  /** Message template; `{name}` placeholders are filled from the error's context. */
  readonly message: string;
  /** Close code when this error ends the connection. */
  readonly closeCode: number;
}

/** Stable error codes. Values are the codes themselves so they survive serialisation. */
export const ErrorCodes = {
  BAD_FRAME: 'MASTRO_PROTOCOL_BAD_FRAME',
  FRAME_TOO_LARGE: 'MASTRO_PROTOCOL_FRAME_TOO_LARGE',
  INVALID_MESSAGE: 'MASTRO_PROTOCOL_INVALID_MESSAGE',
  INVALID_COMMAND_ARGS: 'MASTRO_PROTOCOL_INVALID_COMMAND_ARGS',
  UNKNOWN_OP: 'MASTRO_PROTOCOL_UNKNOWN_OP',
  UNKNOWN_COMMAND: 'MASTRO_PROTOCOL_UNKNOWN_COMMAND',
  REQUEST_TIMEOUT: 'MASTRO_PROTOCOL_REQUEST_TIMEOUT',
  KEEPALIVE_TIMEOUT: 'MASTRO_PROTOCOL_KEEPALIVE_TIMEOUT',
  CONNECTION_CLOSED: 'MASTRO_PROTOCOL_CONNECTION_CLOSED',
  TOO_MANY_PENDING: 'MASTRO_PROTOCOL_TOO_MANY_PENDING',
  REMOTE_EXCEPTION: 'MASTRO_PROTOCOL_REMOTE_EXCEPTION',
  HANDLER_FAILED: 'MASTRO_PROTOCOL_HANDLER_FAILED',
  ENCODE_FAILED: 'MASTRO_PROTOCOL_ENCODE_FAILED',
  AUTH_FAILED: 'MASTRO_PROTOCOL_AUTH_FAILED',
  TOO_MANY_PEER_ERRORS: 'MASTRO_PROTOCOL_TOO_MANY_PEER_ERRORS',
  PEER_NOT_READING: 'MASTRO_PROTOCOL_PEER_NOT_READING',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export const ErrorCatalog: Readonly<Record<ErrorCode, CatalogEntry>> = {
  [ErrorCodes.BAD_FRAME]: {
    message: 'could not decode a {encoding} frame from the peer: {detail}. The peer must send one msgpack map per binary frame or one JSON object per text frame',
    closeCode: CloseCodes.UNSUPPORTED_DATA,
  },
  [ErrorCodes.FRAME_TOO_LARGE]: {
    message: 'frame of {size} bytes exceeds the limit of {limit} bytes; raise maxFrameSize on both sides or send smaller blocks',
    closeCode: CloseCodes.MESSAGE_TOO_BIG,
  },
  [ErrorCodes.INVALID_MESSAGE]: {
    message: 'invalid {op} message: {detail}',
    closeCode: CloseCodes.PROTOCOL_ERROR,
  },
  [ErrorCodes.INVALID_COMMAND_ARGS]: {
    message: 'invalid args for command {command}: {detail}',
    closeCode: CloseCodes.PROTOCOL_ERROR,
  },
  [ErrorCodes.UNKNOWN_OP]: {
    message: 'Command {op} does not exist.',
    closeCode: CloseCodes.PROTOCOL_ERROR,
  },
  [ErrorCodes.UNKNOWN_COMMAND]: {
    message: "unrecognized WorkerCommand '{command}'",
    closeCode: CloseCodes.PROTOCOL_ERROR,
  },
  [ErrorCodes.REQUEST_TIMEOUT]: {
    message: 'no response to {op} (seq_number {seq}) within {timeoutMs} ms; the peer is slow or gone (raise requestTimeoutMs if it is just slow)',
    closeCode: CloseCodes.GOING_AWAY,
  },
  [ErrorCodes.KEEPALIVE_TIMEOUT]: {
    message: 'the peer did not answer a keepalive within {timeoutMs} ms and sent nothing else; closing the half-open connection',
    closeCode: CloseCodes.KEEPALIVE_TIMEOUT,
  },
  [ErrorCodes.CONNECTION_CLOSED]: {
    message: 'connection closed before {op} was answered (close code {code}{reason})',
    closeCode: CloseCodes.GOING_AWAY,
  },
  [ErrorCodes.TOO_MANY_PENDING]: {
    message: '{limit} requests already await a response on this connection; wait for some to finish (or raise maxPendingRequests)',
    closeCode: CloseCodes.POLICY_VIOLATION,
  },
  [ErrorCodes.REMOTE_EXCEPTION]: {
    message: 'the peer answered {op} with an exception: {detail}',
    closeCode: CloseCodes.INTERNAL_ERROR,
  },
  [ErrorCodes.HANDLER_FAILED]: {
    message: 'the handler for {op} failed: {detail}',
    closeCode: CloseCodes.INTERNAL_ERROR,
  },
  [ErrorCodes.ENCODE_FAILED]: {
    message: 'could not encode {op} as {encoding}: {detail}',
    closeCode: CloseCodes.INTERNAL_ERROR,
  },
  [ErrorCodes.AUTH_FAILED]: {
    message: 'authentication failed for worker {name}: check the worker name and password on both sides',
    closeCode: CloseCodes.POLICY_VIOLATION,
  },
  [ErrorCodes.TOO_MANY_PEER_ERRORS]: {
    message: 'too many protocol errors from the peer (more than {limit} a minute; the last: {last}); closing the connection. Fix the peer, or raise maxPeerErrorsPerMinute',
    closeCode: CloseCodes.POLICY_VIOLATION,
  },
  [ErrorCodes.PEER_NOT_READING]: {
    message: 'the peer does not read what it is sent: more than {limit} bytes wait for it; closing the connection (raise maxBufferedBytes if the link is only slow)',
    closeCode: CloseCodes.POLICY_VIOLATION,
  },
};

/**
 * Longest text a placeholder gets in a message. Context values come from the peer (an op name, a
 * command name), and a message ends up in logs, close reasons and exception answers: a peer must not
 * be able to make those as large as its frames. Longer values keep their start and their length.
 */
export const MAX_PLACEHOLDER_CHARS = 200;

/** `text` cut to `max` characters, saying how long it was. */
export function shortText(text: string, max = MAX_PLACEHOLDER_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}... (${text.length} characters)`;
}

/** Fills `{name}` placeholders from `context`, each value cut to MAX_PLACEHOLDER_CHARS. */
export function fill(template: string, context: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in context ? shortText(String(context[name])) : whole);
}

/** An error of this protocol, detected locally: its `code` is stable, `closeCode` is what a close would use. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  readonly closeCode: number;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(fill(ErrorCatalog[code].message, context), options);
    this.name = 'ProtocolError';
    this.code = code;
    this.closeCode = ErrorCatalog[code].closeCode;
    this.context = Object.freeze({ ...context });
  }
}

/**
 * The peer answered a request with `is_exception: true`. `remoteMessage` is the peer's own text
 * (`result` of the response), e.g. Buildbot's `Command foo does not exist.`.
 */
export class RemoteError extends Error {
  readonly code = ErrorCodes.REMOTE_EXCEPTION;
  readonly op: string;
  readonly remoteMessage: string;

  constructor(op: string, result: unknown) {
    const remoteMessage = typeof result === 'string' ? result : safeStringify(result);
    super(remoteMessage);
    this.name = 'RemoteError';
    this.op = op;
    this.remoteMessage = remoteMessage;
  }
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Closes reasons are limited to 123 bytes of UTF-8 by RFC 6455; trims longer text safely. */
export function closeReason(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= 123) return text;
  // Cut at a character boundary: decode and drop a possibly broken trailing char.
  return bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD$/, '') + '...';
}
