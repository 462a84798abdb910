/**
 * The one error type of the delivery transports (HTTP, SMTP, SSH). The delivery pool needs three
 * answers from a failed attempt and nothing else: may it try again (`retryable`), when at the
 * earliest (`retryAfterMs`, set when the service said so: a rate limit or a `retry-after`), and a
 * message for the reporter's status page that says what went wrong and what to do. Messages never
 * hold a secret: each transport scrubs them (./redaction.ts) before it builds the error.
 *
 * Retryable means "the same request may succeed later without anyone changing the config": a
 * network fault, a timeout, a 5xx, a 429 or rate limit, an SMTP 4xx reply. Permanent means it
 * cannot: a 4xx answer (bad token, bad body, no such repository), an SMTP 5xx reply, an SSH key
 * the server refuses, an unknown host key.
 */
import { shortText } from 'mastro-protocol';

/** Stable codes, one per kind of failure (wire values as a `const` object, not an `enum`). */
export const TransportErrorCodes = {
  /** Invalid options: a malformed URL, an unreadable CA file. Permanent. */
  CONFIG: 'MASTRO_TRANSPORT_CONFIG',
  /** The connection could not be made or broke: refused, reset, host name not found. Retryable. */
  NETWORK: 'MASTRO_TRANSPORT_NETWORK',
  /** No answer in time (connect or whole request). Retryable. */
  TIMEOUT: 'MASTRO_TRANSPORT_TIMEOUT',
  /** The TLS handshake failed or the peer's certificate was not trusted. Retryable (the peer may fix it). */
  TLS: 'MASTRO_TRANSPORT_TLS',
  /** The proxy refused or failed the connection. Retryable unless it asked for credentials. */
  PROXY: 'MASTRO_TRANSPORT_PROXY',
  /** The service asked us to slow down; `retryAfterMs` says for how long. Retryable. */
  RATE_LIMITED: 'MASTRO_TRANSPORT_RATE_LIMITED',
  /** The service failed (HTTP 5xx/408, SMTP 4xx). Retryable. */
  SERVER_ERROR: 'MASTRO_TRANSPORT_SERVER_ERROR',
  /** The credentials were refused (HTTP 401, SMTP 535, SSH publickey). Permanent. */
  AUTH: 'MASTRO_TRANSPORT_AUTH',
  /** The service refused this request (other HTTP 4xx, SMTP 5xx such as an unknown recipient). Permanent. */
  REFUSED: 'MASTRO_TRANSPORT_REFUSED',
  /** SSH: the server's host key is unknown or changed. Permanent. */
  HOST_KEY: 'MASTRO_TRANSPORT_HOST_KEY',
} as const;
export type TransportErrorCode = (typeof TransportErrorCodes)[keyof typeof TransportErrorCodes];

/** Codes of failures that may succeed when tried again unchanged. */
const RETRYABLE: ReadonlySet<TransportErrorCode> = new Set([
  TransportErrorCodes.NETWORK, TransportErrorCodes.TIMEOUT, TransportErrorCodes.TLS, TransportErrorCodes.PROXY,
  TransportErrorCodes.RATE_LIMITED, TransportErrorCodes.SERVER_ERROR,
]);

export interface TransportErrorContext {
  /** What was being reached, already redacted: `POST https://api.github.com/repos/o/r/statuses/…`, `smtp://mail:25`. */
  readonly target: string;
  /** Overrides the code's usual retryability (a proxy asking for credentials is permanent). */
  readonly retryable?: boolean;
  /** The earliest time to try again, in ms from when the error was made, when the peer said so. */
  readonly retryAfterMs?: number;
  /** HTTP status or SMTP reply code, when the peer answered. */
  readonly status?: number;
  /** The peer's answer (redacted, cut short), for the status page. */
  readonly detail?: string;
  readonly cause?: unknown;
}

export class TransportError extends Error {
  override readonly name: string = 'TransportError';
  readonly retryable: boolean;
  readonly target: string;
  readonly retryAfterMs?: number;
  readonly status?: number;
  readonly detail?: string;

  constructor(readonly code: TransportErrorCode, message: string, ctx: TransportErrorContext) {
    super(message, ctx.cause === undefined ? undefined : { cause: ctx.cause });
    this.retryable = ctx.retryable ?? RETRYABLE.has(code);
    this.target = ctx.target;
    if (ctx.retryAfterMs !== undefined) this.retryAfterMs = ctx.retryAfterMs;
    if (ctx.status !== undefined) this.status = ctx.status;
    if (ctx.detail !== undefined) this.detail = ctx.detail;
  }
}

/**
 * The service's rate limit was hit: wait until `resetAt` (epoch ms) before sending to it again.
 * The delivery pool honours this for every report to the same service, instead of hammering it.
 */
export class RateLimitError extends TransportError {
  override readonly name = 'RateLimitError';
  declare readonly retryAfterMs: number;
  /** When the limit lifts (epoch ms). */
  readonly resetAt: number;

  constructor(message: string, ctx: TransportErrorContext & { retryAfterMs: number; now?: number }) {
    super(TransportErrorCodes.RATE_LIMITED, message, { ...ctx, retryable: true });
    this.resetAt = (ctx.now ?? Date.now()) + ctx.retryAfterMs;
  }
}

/** True for an error the delivery pool may try again (any other error, a bug, is not). */
export function isRetryable(err: unknown): boolean {
  return err instanceof TransportError && err.retryable;
}

/** A peer's answer on one line, cut to a length fit for a status page. */
export function shortDetail(text: string, max = 300): string {
  return shortText(text.replace(/\s+/g, ' ').trim(), max);
}
