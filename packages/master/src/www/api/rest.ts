/**
 * Read-only REST API under /api/v2, in Buildbot's JSON shape: `{ "<type>": [...], "meta": { "total": N } }`
 * for collections, `{ "<type>": [item], "meta": {} }` for single entities, `{ "error": "..." }` with
 * status 404/400 for unknown paths/ids and bad queries. `/raw` log endpoints stream from chunk rows.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import type { DataConnector } from '../../data/connector.js';
import { parseResultSpec } from '../../data/resultspec.js';
import { DataError } from '../../data/errors.js';

export function registerRestApi(app: FastifyInstance, data: DataConnector, prefix = '/api/v2'): void {
  const sendError = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).type('application/json; charset=utf-8').send(JSON.stringify({ error: message }));

  app.get(prefix, async (_req, reply) => {
    reply.send({ api: 'buildbot data API v2 (mastro)', links: ['builders', 'builds', 'buildrequests', 'buildsets', 'changes', 'sourcestamps', 'steps', 'logs', 'workers', 'schedulers', 'masters'] });
  });

  app.get(`${prefix}/*`, async (req, reply) => {
    const rest = (req.params as { '*': string })['*'];
    const path = rest.split('/').filter(Boolean).map(decodeURIComponent);
    try {
      const spec = parseResultSpec(req.query as Record<string, string | string[]>);
      const r = await data.get(path, spec);
      if (r.kind === 'raw') {
        reply.header('content-type', `${r.mimeType}; charset=utf-8`);
        reply.header('content-disposition', `attachment; filename=${r.filename}`);
        return reply.send(Readable.from(r.stream, { objectMode: false }));
      }
      if (r.kind === 'collection') return reply.send({ [r.type]: r.items, meta: { total: r.total } });
      return reply.send({ [r.type]: [r.item], meta: {} });
    } catch (err) {
      if (err instanceof DataError) return sendError(reply, err.status, err.message);
      req.log.error({ err, path: rest }, 'REST request failed');
      return sendError(reply, 500, 'internal error while reading state; see the master log');
    }
  });
}
