/**
 * The OpenAPI 3.1 document served at /api/v2/openapi.json, generated from the route table and
 * resource schemas in api/schemas.ts (so it cannot drift from what the server routes).
 */
import { PLURAL, RESOURCE_SCHEMAS, ROUTES, type RouteSpec } from './api/schemas.js';

const QUERY_PARAMS = [
  { name: 'field', description: 'fields to return (repeat or comma-separate)' },
  { name: 'limit', description: 'page size', schema: { type: 'integer', minimum: 0 } },
  { name: 'offset', description: 'items to skip', schema: { type: 'integer', minimum: 0 } },
  { name: 'order', description: 'sort fields; prefix - for descending' },
  { name: 'property', description: 'build/buildrequest properties to include (* = all)' },
].map((p) => ({ in: 'query', required: false, schema: { type: 'string' }, ...p }));

const ERROR = { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] };
const RPC_ERROR = { type: 'object', properties: { jsonrpc: { type: 'string' }, id: {}, error: { type: 'object', properties: { code: { type: 'integer' }, message: { type: 'string' } } } } };

function pathParams(path: string) {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ in: 'path', name: m[1], required: true, schema: { type: 'string' } }));
}

function getOperation(r: RouteSpec) {
  if (r.type === 'raw') {
    return { summary: r.summary, parameters: pathParams(r.path), responses: { 200: { description: 'log text', content: { 'text/plain': { schema: { type: 'string' } } } }, 404: { description: 'unknown log', content: { 'application/json': { schema: ERROR } } } } };
  }
  const key = PLURAL[r.type]!;
  const body = {
    type: 'object', required: [key, 'meta'],
    properties: { [key]: { type: 'array', items: { $ref: `#/components/schemas/${r.type}` } }, meta: { type: 'object', properties: { total: { type: 'integer' } } } },
  };
  return {
    summary: r.summary,
    parameters: [...pathParams(r.path), ...(r.collection ? QUERY_PARAMS : QUERY_PARAMS.filter((p) => p.name === 'field'))],
    description: r.collection ? 'Any other query parameter filters: `x=v` (comma = any of), `x__ne`, `__lt`, `__le`, `__gt`, `__ge`, `__contains`.' : undefined,
    responses: {
      200: { description: 'OK', content: { 'application/json': { schema: body } } },
      400: { description: 'bad query', content: { 'application/json': { schema: ERROR } } },
      401: { description: 'log in to view', content: { 'application/json': { schema: ERROR } } },
      404: { description: 'no such resource', content: { 'application/json': { schema: ERROR } } },
    },
  };
}

function postOperation(r: RouteSpec) {
  return {
    summary: `control actions: ${r.control!.join(', ')} (JSON-RPC 2.0)`,
    parameters: pathParams(r.path),
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['jsonrpc', 'method', 'id'], properties: { jsonrpc: { const: '2.0' }, method: { type: 'string', enum: r.control }, params: { type: 'object' }, id: {} } } } } },
    responses: Object.fromEntries([[200, 'result'], [400, 'invalid request or params'], [401, 'log in first'], [403, 'not allowed'], [404, 'no such resource'], [409, 'conflict with the current state'], [415, 'body is not JSON'], [501, 'no such action']]
      .map(([code, description]) => [code, { description, content: { 'application/json': { schema: RPC_ERROR } } }])),
  };
}

export function buildOpenApi(version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    paths[r.path] = { get: getOperation(r), ...(r.control ? { post: postOperation(r) } : {}) };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'mastro data API (Buildbot data API v2 compatible)', version },
    servers: [{ url: '/api/v2' }],
    components: {
      schemas: RESOURCE_SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, basic: { type: 'http', scheme: 'basic' }, session: { type: 'apiKey', in: 'cookie', name: 'mastro_session' } },
    },
    security: [{}, { bearer: [] }, { basic: [] }, { session: [] }],
    paths,
  };
}
