/**
 * JSON-RPC 2.0 envelopes as Buildbot's www/rest.py uses them for control actions: a POST of
 * `{"jsonrpc":"2.0","method":"stop","params":{...},"id":1}` answers `{"jsonrpc":"2.0","id":1,"result":...}`
 * or `{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"..."}}` with the HTTP status below.
 */
export const JSONRPC_CODES = {
  parse_error: -32700,
  invalid_request: -32600,
  method_not_found: -32601,
  invalid_params: -32602,
  internal_error: -32603,
} as const;

export class JsonRpcError extends Error {
  constructor(readonly status: number, readonly code: number, message: string, readonly data?: unknown) {
    super(message);
    this.name = 'JsonRpcError';
  }
}

export const rpcErrors = {
  invalidRequest: (msg: string) => new JsonRpcError(400, JSONRPC_CODES.invalid_request, msg),
  notFound: (msg: string) => new JsonRpcError(404, JSONRPC_CODES.invalid_request, msg),
  noSuchMethod: (msg: string) => new JsonRpcError(501, JSONRPC_CODES.method_not_found, msg),
  invalidParams: (msg: string, data?: unknown) => new JsonRpcError(400, JSONRPC_CODES.invalid_params, msg, data),
  forbidden: (status: 401 | 403, msg: string) => new JsonRpcError(status, JSONRPC_CODES.invalid_request, msg),
  conflict: (msg: string) => new JsonRpcError(409, JSONRPC_CODES.invalid_request, msg),
  internal: (msg: string) => new JsonRpcError(500, JSONRPC_CODES.internal_error, msg),
};

export interface JsonRpcCall { method: string; params: Record<string, unknown>; id: unknown }

/** Validates a decoded request body (Buildbot's decodeJsonRPC2). */
export function decodeJsonRpc(body: unknown): JsonRpcCall {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw rpcErrors.invalidRequest('JSON-RPC request must be an object');
  const b = body as Record<string, unknown>;
  if (b.jsonrpc !== '2.0') throw rpcErrors.invalidRequest("JSON-RPC version must be '2.0'");
  if (typeof b.method !== 'string') throw rpcErrors.invalidRequest("'method' must be a string");
  if (!('id' in b)) throw rpcErrors.invalidRequest("missing key 'id'");
  const params = b.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw rpcErrors.invalidRequest("'params' must be an object");
  return { method: b.method, params: params as Record<string, unknown>, id: b.id };
}

export function rpcReply(id: unknown, result: unknown): Record<string, unknown> {
  return { jsonrpc: '2.0', id: id ?? null, result: result ?? null };
}

export function rpcErrorReply(id: unknown, err: JsonRpcError): Record<string, unknown> {
  return { jsonrpc: '2.0', id: id ?? null, error: { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) } };
}
