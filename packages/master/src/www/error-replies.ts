/**
 * One shape for every error the HTTP server answers: `{"error": "<what went wrong and what to do>"}`,
 * and for JSON-RPC POSTs under /api/ a JSON-RPC error object like Buildbot's. Errors come from three
 * places in fastify, each wired here: route and parser errors (`setErrorHandler`), errors found
 * before routing such as a URL that is not valid percent-encoding (the `frameworkErrors` option),
 * and requests that are not HTTP at all (the `clientErrorHandler` option, on the raw socket).
 * Without the last two, fastify answers its own `{"error","code","message","statusCode"}`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { JSONRPC_CODES } from './control/jsonrpc.js';
import { outageMessage } from '../data/errors.js';

/** What a caller reads for a failure inside the master; the details go to the log. */
export const INTERNAL_ERROR_MESSAGE = 'internal error; see the master log';

/** A URL shown in an error message: without the query (it may carry tokens) and not too long. */
function shownPath(url: string): string {
  const path = url.split('?')[0] ?? '';
  return path.length > 200 ? `${path.slice(0, 200)}...` : path;
}

/** Seconds a client is asked to wait before sending a request again that a database outage refused. */
export const OUTAGE_RETRY_AFTER_SEC = 5;

/**
 * Answers 503 with what is wrong (the database is unreachable, its disk is full) when `err` comes
 * from a database outage: the master keeps answering, and the caller may send the request again
 * later. Returns false for any other error (the caller answers it).
 */
export function sendIfUnavailable(req: FastifyRequest, reply: FastifyReply, err: unknown): boolean {
  const message = outageMessage(err);
  if (message === null) return false;
  req.log.warn({ err: (err as Error)?.message }, 'request refused: the database is unavailable');
  reply.header('retry-after', String(OUTAGE_RETRY_AFTER_SEC));
  sendError(req, reply, 503, message);
  return true;
}

/** Sends `message` with `status` in the server's error shape. */
export function sendError(req: FastifyRequest, reply: FastifyReply, status: number, message: string, jsonrpc?: number): FastifyReply {
  if (req.method === 'POST' && req.url.startsWith('/api/')) {
    const code = jsonrpc ?? (status >= 500 ? JSONRPC_CODES.internal_error : JSONRPC_CODES.invalid_request);
    return reply.code(status).send({ jsonrpc: '2.0', id: null, error: { code, message } });
  }
  return reply.code(status).send({ error: message });
}

/** Errors fastify raises before a route is found (its `frameworkErrors` option). */
export function frameworkErrors(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const path = shownPath(req.raw.url ?? req.url);
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      sendError(req, reply, 400, `the URL path ${JSON.stringify(path)} is not valid percent-encoding: a '%' must start an escape of two hex digits of UTF-8 text; write a literal '%' as %25`);
      return;
    case 'FST_ERR_MAX_PARAM_LENGTH':
      sendError(req, reply, 414, `a segment of the URL path ${JSON.stringify(path)} is longer than this server accepts; use a shorter name`);
      return;
    default:
      req.log.error({ err }, 'request failed before routing');
      sendError(req, reply, 500, INTERNAL_ERROR_MESSAGE);
  }
}

/** Route, hook and body-parser errors: 4xx keep their message, 5xx are logged and answered generically. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: Error & { statusCode?: number; jsonrpc?: number }, req, reply) => {
    if (sendIfUnavailable(req, reply, err)) return reply;
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    if (status >= 500) req.log.error({ err }, 'request failed');
    return sendError(req, reply, status, status >= 500 ? INTERNAL_ERROR_MESSAGE : err.message, err.jsonrpc);
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `nothing at ${req.method} ${shownPath(req.url)}` }));
}

const CLIENT_ERRORS: Record<string, [status: number, message: string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request did not arrive in time; send it again'],
  HPE_HEADER_OVERFLOW: [431, 'the request headers are larger than this server accepts; send fewer or smaller headers (cookies, tokens)'],
};

/**
 * A request node's HTTP parser refused (not HTTP, headers too large, too slow): answered on the
 * socket in the same shape, then the connection is closed (node's and fastify's behaviour).
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'the request is not valid HTTP/1.1'];
  this.log.debug({ err }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify({ error: message });
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
