/**
 * `monitoring.port`: /metrics, /healthz and /readyz on a port of their own, so a scraper or a load
 * balancer's probes need not reach the web UI's port (or so that port may stay on loopback). The
 * same routes and the same authorization as on the web port.
 */
import Fastify from 'fastify';
import type { Logger } from 'pino';
import type { Security } from '../security.js';
import { registerMonitoringRoutes, type MonitoringRoutes } from './routes.js';
import { applyConnectionLimits, type ConnectionLimits } from '../../net/connection-limits.js';

export interface MonitoringServer { readonly port: number; close(): Promise<void> }

export async function startMonitoringServer(o: {
  port: number; host: string; routes: MonitoringRoutes; security: Security | null; logger: Logger;
  /** The web port's timeouts and per-address cap (www.*), which this port follows. */
  connections: ConnectionLimits;
}): Promise<MonitoringServer> {
  const app = Fastify({ loggerInstance: o.logger as any });
  registerMonitoringRoutes(app, o.routes, o.security);
  // The web port's timeouts and per-address cap: a scraper needs no more, a slow client gets no more.
  applyConnectionLimits(app.server, o.connections, { logger: app.log, capOption: 'www.maxConnectionsPerAddress, which the monitoring port follows', format: 'json' });
  await app.listen({ port: o.port, host: o.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : o.port;
  return { port, close: () => app.close() };
}
