/**
 * GET /healthz and GET /readyz, for a process supervisor, a load balancer or Kubernetes probes.
 * /healthz: the process is alive and its event loop answers (200, always, while it does).
 * /readyz: the master can do its work right now: 200 when every check passes, else 503 with the
 * checks and a one-line `reason` naming what failed. Both are open: a probe carries no credentials,
 * and neither says anything a visitor of the UI could not see.
 */
import type { FastifyInstance } from 'fastify';

export interface ReadyCheck { ok: boolean; error?: string }

export interface ReadyReport {
  ready: boolean;
  /** One entry per check (database, workerPort, config), each ok or with its error. */
  checks: Record<string, ReadyCheck>;
  /** When not ready: what failed, e.g. "database: connect ECONNREFUSED 127.0.0.1:5432". */
  reason?: string;
}

export function registerHealthRoutes(app: FastifyInstance, ready: () => Promise<ReadyReport>): void {
  app.get('/healthz', async (_req, reply) => {
    reply.header('cache-control', 'no-store').type('application/json; charset=utf-8');
    return JSON.stringify({ status: 'ok', pid: process.pid, uptime: Math.round(process.uptime()) });
  });
  app.get('/readyz', async (_req, reply) => {
    const report = await ready();
    reply.code(report.ready ? 200 : 503).header('cache-control', 'no-store').type('application/json; charset=utf-8');
    return JSON.stringify({ status: report.ready ? 'ready' : 'not ready', ...report });
  });
}
