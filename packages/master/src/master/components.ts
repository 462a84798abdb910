/**
 * Adapters from config specs to running parts, kept apart from master.ts so the composition root
 * stays readable: schedulers and change sources as reconfigurable services, and the HTTP server.
 */
import type { Logger } from 'pino';
import type { MasterConfig } from '../config/types.js';
import type { ChangeSourceSpec } from '../changes/specs.js';
import { createChangeSource, type AnyChangeSource, type ChangeSourceServices } from '../changes/index.js';
import type { SchedulerSpec } from '../schedulers/specs.js';
import { createScheduler, type SchedulerServices } from '../schedulers/create.js';
import type { DataConnector } from '../data/index.js';
import type { MessageQueue } from '../mq/bus.js';
import type { MasterControl } from '../process/master-control.js';
import { createHttpServer } from '../www/index.js';
import { registerUiStatic } from '../www/ui-static.js';
import type { Service } from './services.js';
import { fingerprint } from '../util/fingerprint.js';
import type { Security } from '../www/security.js';
import type { MonitoringRoutes } from '../www/monitoring/routes.js';

export function createSchedulerService(spec: SchedulerSpec, services: SchedulerServices): Service {
  const instance = createScheduler(spec, services);
  return { name: spec.name, fingerprint: fingerprint(spec), instance, start: () => instance.start(), stop: () => instance.stop() };
}

export function createChangeSourceService(spec: ChangeSourceSpec, services: Omit<ChangeSourceServices, 'masterDir'>, masterDir: string): Service {
  const name = (spec as { name?: string }).name ?? `${spec.kind}:${(spec as { repourl?: string }).repourl ?? ''}`;
  let instance: AnyChangeSource | null = null;
  return {
    name,
    fingerprint: fingerprint(spec),
    get instance() { return instance; },
    async start() {
      instance = createChangeSource(spec, { ...services, masterDir });
      await instance.start();
    },
    async stop() { await instance?.stop(); },
  };
}

export interface HttpHandle {
  readonly port: number;
  /** Who is asking and what they may do (the monitoring port checks /metrics with it too). */
  readonly security: Security;
  /** Applies a reconfig's www settings (auth, authz, change hooks); throws, changing nothing, when they cannot be built. */
  reconfigure(config: MasterConfig): void;
  close(): Promise<void>;
}

export async function startHttpServer(args: { control: MasterControl; data: DataConnector; mq: MessageQueue; config: MasterConfig; log: Logger; monitoring: MonitoringRoutes }): Promise<HttpHandle> {
  const www = args.config.www!;
  // createHttpServer is imported typed: an option misspelt here fails to compile (HttpServerOptions is strict).
  const server = await createHttpServer({
    data: args.data, mq: args.mq, control: args.control, config: args.config, logger: args.log, monitoring: args.monitoring,
    port: www.port, host: www.host, bodyLimit: www.bodyLimit, changeHooks: www.changeHooks, ws: www.ws,
    connections: {
      headersTimeoutMs: www.headersTimeoutMs, requestTimeoutMs: www.requestTimeoutMs, idleTimeoutMs: www.idleTimeoutMs,
      maxConnectionsPerAddress: www.maxConnectionsPerAddress,
    },
    // The web UI's static files at `/` (registered last: its catch-all yields to every other route).
    configure: (app) => registerUiStatic(app),
  });
  return { port: server.port, security: server.security, reconfigure: (config) => { server.reconfigure(config); }, close: () => server.close() };
}
