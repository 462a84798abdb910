/** What the HTTP server needs to serve /metrics, /healthz and /readyz (the master provides both functions). */
import type { FastifyInstance } from 'fastify';
import type { Security } from '../security.js';
import { registerHealthRoutes, type ReadyReport } from './health.js';
import { registerMetricsRoute, type RenderMetrics } from './metrics.js';

export interface MonitoringRoutes {
  /** Renders /metrics; null when `monitoring.metrics` is false (no route then). */
  metrics: RenderMetrics | null;
  ready: () => Promise<ReadyReport>;
}

export function registerMonitoringRoutes(app: FastifyInstance, routes: MonitoringRoutes, security: Security | null): void {
  registerHealthRoutes(app, routes.ready);
  if (routes.metrics) registerMetricsRoute(app, routes.metrics, security);
}

export type { ReadyReport, ReadyCheck } from './health.js';
