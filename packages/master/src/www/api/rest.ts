/**
 * REST API under /api/v2, in Buildbot's JSON shape: `{ "<type>": [...], "meta": { "total": N } }`
 * for collections, `{ "<type>": [item], "meta": {} }` for single entities, `{ "error": "..." }` with
 * the status (400 bad query, 401/403 refused, 404 unknown path or id). `/raw` logs stream from the
 * chunk rows. Reading needs the `view` action; POSTs to a resource are JSON-RPC control actions
 * (control/actions.ts). `/api/v2/openapi.json` describes it all.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { DataConnector } from '../../data/connector.js';
import { parseResultSpec } from '../../data/resultspec.js';
import { DataError } from '../../data/errors.js';
import type { Security } from '../security.js';
import { sendAuthError } from '../security.js';
import { sendIfUnavailable } from '../error-replies.js';
import type { ControlActions } from '../control/actions.js';
import type { MasterControl } from '../../process/master-control.js';
import { decodeJsonRpc, JsonRpcError, rpcErrorReply, rpcReply, rpcErrors } from '../control/jsonrpc.js';
import { unsafeRequestRefusal } from '../auth/browser-guard.js';
import { buildOpenApi } from '../openapi.js';
import { getForceSchedulers } from './forceschedulers.js';

export interface RestApiOptions {
  security: Security;
  control: ControlActions;
  target: MasterControl | null;
  prefix?: string;
}

const LINKS = ['builders', 'builds', 'buildrequests', 'buildsets', 'changes', 'sourcestamps', 'steps', 'logs', 'workers', 'schedulers', 'forceschedulers', 'masters', 'reporters'];

const sendError = (reply: FastifyReply, status: number, message: string) =>
  reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify({ error: message }));

/**
 * The resource path's segments, split on the raw URL's slashes and each decoded once, as Buildbot
 * (twisted's postpath) does: `%2F` stays inside a segment and `%25` is a literal `%`. (The router's
 * `*` parameter is already decoded: decoding it again turned `100%25` into an exception, a 500.)
 * Null when a segment is not valid percent-encoding.
 */
function splitPath(req: FastifyRequest, prefix: string): string[] | null {
  const skip = prefix.split('/').filter(Boolean).length; // counted, not sliced: the prefix itself may arrive encoded
  const raw = req.url.split('?')[0]!.split('/').filter(Boolean).slice(skip);
  try { return raw.map(decodeURIComponent); } catch { return null; }
}
const badPath = 'the path is not valid percent-encoding';

export function registerRestApi(app: FastifyInstance, data: DataConnector, opts: RestApiOptions): void {
  const prefix = opts.prefix ?? '/api/v2';
  const { security } = opts;
  const openapi = JSON.stringify(buildOpenApi());

  app.get(prefix, async (req, reply) => {
    if (!(await security.require(req, reply, 'view'))) return;
    reply.send({ api: 'buildbot data API v2 (mastro)', links: LINKS, openapi: `${prefix}/openapi.json` });
  });

  // The API's description is public: it holds no state.
  app.get(`${prefix}/openapi.json`, async (_req, reply) => reply.type('application/json; charset=utf-8').send(openapi));

  app.get(`${prefix}/*`, async (req, reply) => {
    if (!(await security.require(req, reply, 'view'))) return;
    const path = splitPath(req, prefix);
    if (!path) return sendError(reply, 400, badPath);
    try {
      const spec = parseResultSpec(req.query as Record<string, string | string[]>);
      const r = (await getForceSchedulers(path, spec, opts.target?.forceSchedulers() ?? [], data)) ?? (await data.get(path, spec));
      if (r.kind === 'raw') {
        reply.header('content-type', `${r.mimeType}; charset=utf-8`);
        reply.header('content-disposition', `attachment; filename=${r.filename}`);
        return reply.send(Readable.from(r.stream, { objectMode: false }));
      }
      if (r.kind === 'collection') return reply.send({ [r.type]: r.items, meta: { total: r.total } });
      return reply.send({ [r.type]: [r.item], meta: {} });
    } catch (err) {
      if (err instanceof DataError) return sendError(reply, err.status, err.message);
      if (sendIfUnavailable(req, reply, err)) return reply;
      req.log.error({ err, path: path.join('/') }, 'REST request failed');
      return sendError(reply, 500, 'internal error while reading state; see the master log');
    }
  });

  // Control: JSON-RPC 2.0 POSTs to the resource (Buildbot's renderJsonRpc).
  app.post(`${prefix}/*`, async (req, reply) => {
    let id: unknown = null;
    const fail = (err: JsonRpcError) => reply.code(err.status).type('application/json; charset=utf-8').send(JSON.stringify(rpcErrorReply(id, err)));
    let auth;
    try { auth = await security.identify(req); } catch (err) { return sendAuthError(reply, err); }
    const refused = unsafeRequestRefusal(req, auth.session, { requireCsrf: true });
    if (refused) return fail(new JsonRpcError(refused.status, -32600, refused.message));
    try {
      const call = decodeJsonRpc(req.body);
      id = call.id;
      const path = splitPath(req, prefix);
      if (!path) throw rpcErrors.invalidRequest(badPath);
      const result = await opts.control.call(path, call.method, call.params, auth.identity);
      return reply.type('application/json; charset=utf-8').send(JSON.stringify(rpcReply(id, result)));
    } catch (err) {
      if (err instanceof JsonRpcError) return fail(err);
      if (sendIfUnavailable(req, reply, err)) return reply;
      req.log.error({ err }, 'control action failed');
      return fail(rpcErrors.internal('internal error; see the master log'));
    }
  });
}
