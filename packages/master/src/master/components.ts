/**
 * Adapters from config specs to running parts, kept apart from master.ts so the composition root
 * stays readable. Change sources and the HTTP server are loaded lazily: they are separate modules
 * (src/changes/, src/www/) with their own dependencies.
 */
import type { Logger } from 'pino';
import type { MasterConfig } from '../config/types.js';
import type { ChangeSourceSpec } from '../changes/specs.js';
import type { SchedulerSpec } from '../schedulers/specs.js';
import { createScheduler, type SchedulerServices } from '../schedulers/create.js';
import type { DataConnector } from '../data/index.js';
import type { MessageQueue } from '../mq/bus.js';
import { fingerprint, type Service } from './services.js';
import type { Security } from '../www/security.js';
import type { MonitoringRoutes } from '../www/monitoring/routes.js';

export function createSchedulerService(spec: SchedulerSpec, services: SchedulerServices): Service {
  const instance = createScheduler(spec, services);
  return { name: spec.name, fingerprint: fingerprint(spec), instance, start: () => instance.start(), stop: () => instance.stop() };
}

interface ChangeSourceInstance { name?: string; start(): Promise<void>; stop(): Promise<void> }
/** Change sources get the scheduler services plus the master dir and the secret lookup (for `util.secret` credentials). */
type ChangeSourceServices = SchedulerServices & { getSecret?: (name: string) => Promise<string | undefined> };
type ChangeSourceFactory = (spec: ChangeSourceSpec, services: ChangeSourceServices & { masterDir: string }) => ChangeSourceInstance;

// Module paths held in variables: these modules are written in parallel and may not exist yet.
const CHANGES_MODULE = '../changes/index.js';
const WWW_MODULE = '../www/index.js';

export function createChangeSourceService(spec: ChangeSourceSpec, services: ChangeSourceServices, masterDir: string): Service {
  const name = (spec as { name?: string }).name ?? `${spec.kind}:${(spec as { repourl?: string }).repourl ?? ''}`;
  let instance: ChangeSourceInstance | null = null;
  return {
    name,
    fingerprint: fingerprint(spec),
    get instance() { return instance; },
    async start() {
      const mod = (await import(CHANGES_MODULE)) as { createChangeSource?: ChangeSourceFactory };
      if (!mod.createChangeSource) throw new Error('src/changes/index.js does not export createChangeSource(spec, services)');
      instance = mod.createChangeSource(spec, { ...services, masterDir });
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

export async function startHttpServer(args: { master: unknown; data: DataConnector; mq: MessageQueue; config: MasterConfig; log: Logger; monitoring: MonitoringRoutes }): Promise<HttpHandle> {
  const www = args.config.www!;
  const mod = (await import(WWW_MODULE)) as { createHttpServer?: (opts: Record<string, unknown>) => Promise<unknown> | unknown };
  if (!mod.createHttpServer) throw new Error('src/www/index.js does not export createHttpServer(options)');
  const server = (await mod.createHttpServer({
    data: args.data, mq: args.mq, master: args.master, config: args.config, logger: args.log, monitoring: args.monitoring,
    port: www.port, host: www.host, bodyLimit: www.bodyLimit, changeHooks: www.changeHooks,
    connections: {
      headersTimeoutMs: www.headersTimeoutMs, requestTimeoutMs: www.requestTimeoutMs, idleTimeoutMs: www.idleTimeoutMs,
      maxConnectionsPerAddress: www.maxConnectionsPerAddress,
    },
    // The web UI's static files at `/` (registered last: its catch-all yields to every other route).
    configure: async (app: unknown) => (await import('../www/ui-static.js')).registerUiStatic(app as never),
  })) as { port?: number; security: Security; listen?: () => Promise<{ port: number } | number>; reconfigure(config: MasterConfig): unknown; close(): Promise<void> };
  let port = server.port;
  if (typeof server.listen === 'function' && (port === undefined || port === 0)) {
    const r = await server.listen();
    port = typeof r === 'number' ? r : r.port;
  }
  return { port: port ?? www.port, security: server.security, reconfigure: (config) => { server.reconfigure(config); }, close: () => server.close() };
}
