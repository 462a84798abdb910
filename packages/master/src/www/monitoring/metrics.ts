/**
 * GET /metrics: the master's metrics in Prometheus text format (master/metrics.ts makes them). It is
 * a `view` action, as every API read: open while `www.authz.anonymousView` is true (the default, as
 * Buildbot's UI), otherwise for a user that may view, logged in with HTTP Basic or an API token
 * (Prometheus' `basic_auth` or `authorization` scrape settings).
 */
import type { FastifyInstance } from 'fastify';
import type { Security } from '../security.js';

export type RenderMetrics = () => Promise<{ contentType: string; body: string }>;

export function registerMetricsRoute(app: FastifyInstance, render: RenderMetrics, security: Security | null): void {
  app.get('/metrics', async (req, reply) => {
    if (security && !(await security.require(req, reply, 'view'))) return reply;
    const { contentType, body } = await render();
    reply.header('cache-control', 'no-store').type(contentType);
    return body;
  });
}
