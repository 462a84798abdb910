/**
 * The PB error catalog. Every error a PB peer can cause or meet has a stable code (`MASTRO_PB_*`), a
 * message template that says what went wrong and what to do, and whether it ends the connection.
 * PB runs over plain TCP, so there are no close codes: a connection that ends says why in the
 * broker's `closed` result and in the log.
 *
 * What ends a connection follows Twisted: broken framing, a bad handshake, a malformed broker
 * message, or an answer that cannot be decoded. A call whose arguments cannot be accepted (a type
 * outside the allow-list, an unknown object or method) is answered with an error and the connection
 * stays up, as Twisted answers it.
 */
import { fill } from '../errors.js';
import type { PbFailure } from './failure.js';

interface PbCatalogEntry {
  readonly message: string;
  /** True when this error ends the connection it happened on. */
  readonly closes: boolean;
}

export const PbErrorCodes = {
  BAD_ELEMENT: 'MASTRO_PB_BAD_ELEMENT',
  PREFIX_TOO_LONG: 'MASTRO_PB_PREFIX_TOO_LONG',
  ELEMENT_TOO_LARGE: 'MASTRO_PB_ELEMENT_TOO_LARGE',
  TOO_DEEP: 'MASTRO_PB_TOO_DEEP',
  TOO_MANY_ITEMS: 'MASTRO_PB_TOO_MANY_ITEMS',
  EXPRESSION_TOO_LARGE: 'MASTRO_PB_EXPRESSION_TOO_LARGE',
  BAD_DIALECT: 'MASTRO_PB_BAD_DIALECT',
  HANDSHAKE_TIMEOUT: 'MASTRO_PB_HANDSHAKE_TIMEOUT',
  VERSION_MISMATCH: 'MASTRO_PB_VERSION_MISMATCH',
  BAD_MESSAGE: 'MASTRO_PB_BAD_MESSAGE',
  BAD_JELLY: 'MASTRO_PB_BAD_JELLY',
  INSECURE_JELLY: 'MASTRO_PB_INSECURE_JELLY',
  CANNOT_SEND: 'MASTRO_PB_CANNOT_SEND',
  UNKNOWN_OBJECT: 'MASTRO_PB_UNKNOWN_OBJECT',
  NO_SUCH_METHOD: 'MASTRO_PB_NO_SUCH_METHOD',
  TOO_MANY_LOCAL_OBJECTS: 'MASTRO_PB_TOO_MANY_LOCAL_OBJECTS',
  TOO_MANY_REMOTE_REFERENCES: 'MASTRO_PB_TOO_MANY_REMOTE_REFERENCES',
  TOO_MANY_PENDING: 'MASTRO_PB_TOO_MANY_PENDING',
  CALL_TIMEOUT: 'MASTRO_PB_CALL_TIMEOUT',
  CONNECTION_LOST: 'MASTRO_PB_CONNECTION_LOST',
  TOO_MANY_PEER_ERRORS: 'MASTRO_PB_TOO_MANY_PEER_ERRORS',
  PEER_NOT_READING: 'MASTRO_PB_PEER_NOT_READING',
  REMOTE_ERROR: 'MASTRO_PB_REMOTE_ERROR',
  UNAUTHORIZED_LOGIN: 'MASTRO_PB_UNAUTHORIZED_LOGIN',
  LOGIN_RATE_LIMITED: 'MASTRO_PB_LOGIN_RATE_LIMITED',
} as const;
export type PbErrorCode = (typeof PbErrorCodes)[keyof typeof PbErrorCodes];

export const PbErrorCatalog: Readonly<Record<PbErrorCode, PbCatalogEntry>> = {
  [PbErrorCodes.BAD_ELEMENT]: {
    message: 'the peer sent a banana element this side cannot read: {detail}. The peer does not speak Twisted PB (is it a WebSocket or HTTP client on the PB port?)',
    closes: true,
  },
  [PbErrorCodes.PREFIX_TOO_LONG]: {
    message: 'a banana element header is longer than {limit} bytes (prefixLimit); the peer sent garbage or an integer too large for PB',
    closes: true,
  },
  [PbErrorCodes.ELEMENT_TOO_LARGE]: {
    message: 'the peer announced a {kind} of {size} elements or bytes, above the limit of {limit} (maxElementSize, Twisted\'s 640 KiB); send smaller blocks',
    closes: true,
  },
  [PbErrorCodes.TOO_DEEP]: {
    message: 'an expression from the peer nests deeper than {limit} levels (maxDepth)',
    closes: true,
  },
  [PbErrorCodes.TOO_MANY_ITEMS]: {
    message: 'an expression from the peer holds more than {limit} elements (maxItems); raise maxItems if such messages are legitimate',
    closes: true,
  },
  [PbErrorCodes.EXPRESSION_TOO_LARGE]: {
    message: 'an expression from the peer is larger than {limit} bytes (maxExpressionSize); raise maxExpressionSize if such messages are legitimate',
    closes: true,
  },
  [PbErrorCodes.BAD_DIALECT]: {
    message: 'PB handshake failed: {detail}. Both sides must speak the banana dialect "pb" or "none"',
    closes: true,
  },
  [PbErrorCodes.HANDSHAKE_TIMEOUT]: {
    message: 'the PB handshake did not finish within {timeoutMs} ms (handshakeTimeoutMs); the peer is not a PB client, or is stuck',
    closes: true,
  },
  [PbErrorCodes.VERSION_MISMATCH]: {
    message: 'the peer speaks PB broker version {version}; this side speaks version {expected} (Twisted 2.0 and later)',
    closes: true,
  },
  [PbErrorCodes.BAD_MESSAGE]: {
    message: 'malformed PB message from the peer: {detail}',
    closes: true,
  },
  [PbErrorCodes.BAD_JELLY]: {
    message: 'malformed jelly from the peer: {detail}',
    closes: false,
  },
  [PbErrorCodes.INSECURE_JELLY]: {
    message: 'the peer sent a value of type {type}, which this side does not accept (only plain data, remote references and the copyable types {allowed} are allowed)',
    closes: false,
  },
  [PbErrorCodes.CANNOT_SEND]: {
    message: 'cannot send {what} over PB: {detail}',
    closes: false,
  },
  [PbErrorCodes.UNKNOWN_OBJECT]: {
    message: 'the peer called {method} on object {id}, which this side does not have (never lent, or already released)',
    closes: false,
  },
  [PbErrorCodes.NO_SUCH_METHOD]: {
    message: 'No such method: remote_{method}',
    closes: false,
  },
  [PbErrorCodes.TOO_MANY_LOCAL_OBJECTS]: {
    message: 'the peer holds {limit} objects of this side already (maxLocalObjects) and releases none; it leaks references',
    closes: false,
  },
  [PbErrorCodes.TOO_MANY_REMOTE_REFERENCES]: {
    message: 'the peer sent more than {limit} distinct remote references (maxRemoteReferences)',
    closes: false,
  },
  [PbErrorCodes.TOO_MANY_PENDING]: {
    message: '{limit} calls already wait for an answer on this connection (maxPendingCalls); wait for some to finish',
    closes: false,
  },
  [PbErrorCodes.CALL_TIMEOUT]: {
    message: 'no answer to {method} within {timeoutMs} ms; the peer is slow or gone',
    closes: false,
  },
  [PbErrorCodes.CONNECTION_LOST]: {
    message: 'the PB connection was lost before {method} was answered ({reason})',
    closes: false,
  },
  [PbErrorCodes.TOO_MANY_PEER_ERRORS]: {
    message: 'too many protocol errors from the peer (more than {limit} a minute; the last: {last}); closing the connection. Fix the peer, or raise maxPeerErrorsPerMinute',
    closes: true,
  },
  [PbErrorCodes.PEER_NOT_READING]: {
    message: 'the peer does not read what it is sent: more than {limit} bytes wait for it (maxBufferedBytes); closing the connection',
    closes: true,
  },
  [PbErrorCodes.REMOTE_ERROR]: {
    message: 'the peer answered {method} with {type}: {value}',
    closes: false,
  },
  [PbErrorCodes.UNAUTHORIZED_LOGIN]: {
    message: 'login refused for {username}: unknown user name or wrong password; check both on the client and in the master configuration',
    closes: false,
  },
  [PbErrorCodes.LOGIN_RATE_LIMITED]: {
    message: 'login refused for {username}: too many failed logins from {address}; retry in {seconds} s',
    closes: false,
  },
};

/** An error of the PB protocol detected on this side; `closes` says whether it ended the connection. */
export class PbProtocolError extends Error {
  readonly code: PbErrorCode;
  readonly closes: boolean;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: PbErrorCode, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(fill(PbErrorCatalog[code].message, context), options);
    this.name = 'PbProtocolError';
    this.code = code;
    this.closes = PbErrorCatalog[code].closes;
    this.context = Object.freeze({ ...context });
  }
}

/** The peer answered a call with an error: `failure` holds its class names, text and traceback. */
export class PbRemoteError extends Error {
  readonly code = PbErrorCodes.REMOTE_ERROR;
  readonly method: string;
  readonly failure: PbFailure;

  constructor(method: string, failure: PbFailure) {
    super(fill(PbErrorCatalog[PbErrorCodes.REMOTE_ERROR].message, { method, type: failure.type, value: failure.value || '(no message)' }));
    this.name = 'PbRemoteError';
    this.method = method;
    this.failure = failure;
  }

  /** True when the peer's exception class is `name` or derives from it. */
  check(name: string): boolean { return this.failure.check(name); }
}
