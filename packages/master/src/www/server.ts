/**
 * The master's HTTP server (default port 8010): REST API with JSON-RPC control, /ws, /auth
 * login endpoints, change hooks; the UI is mounted by its module through `configure`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DataConnector } from '../data/connector.js';
import type { MessageQueue } from '../mq/bus.js';
import type { ChangeHookAuthEntry, WwwAuthOptions, WwwAuthzOptions, WwwMasterConfig, WwwOptions } from './options.js';
import { registerRestApi } from './api/rest.js';
import { registerChangeHooks } from './hooks/routes.js';
import type { ChangeHookDialect } from './hooks/dialects.js';
import { Security } from './security.js';
import type { ResolvedAuthOptions } from './auth/options.js';
import { registerAuthRoutes } from './auth/routes.js';
import { ControlActions } from './control/actions.js';
import type { MasterControl } from '../process/master-control.js';
import { registerWebSocket, type WsOptions } from './ws/server.js';
import { JSONRPC_CODES } from './control/jsonrpc.js';
import { clientErrorHandler, frameworkErrors, registerErrorHandler } from './error-replies.js';
import { restartOnlyChanges } from './reconfigure.js';
import { HTTP_CONNECTION_DEFAULTS, applyConnectionLimits, type ConnectionLimits } from '../net/connection-limits.js';
import { WWW_OPTION_DEFAULTS } from '../options/www.js';
import { refuseUnknownOptions } from '../options/strict.js';
import { registerMonitoringRoutes, type MonitoringRoutes } from './monitoring/routes.js';

/** The `www` options' defaults (options/www.ts): one bodyLimit for the config and for embedding. */
export const HTTP_DEFAULTS = { port: WWW_OPTION_DEFAULTS.port, host: WWW_OPTION_DEFAULTS.host, bodyLimit: WWW_OPTION_DEFAULTS.bodyLimit } as const;

export interface HttpServerOptions {
  data: DataConnector;
  /** Event bus for /ws; default `data.mq`. */
  mq?: MessageQueue;
  /** The running master (or a stand-in in tests): control actions go to it; none = control actions answer 501. */
  control?: MasterControl | null;
  /** The master config: `www.auth`, `www.authz`, `masterDir` (users.json) and `buildbotURL` are read from it. */
  config?: WwwMasterConfig;
  /** Directory holding users.json when no `config` is given. */
  masterDir?: string | null;
  /** `www.auth` / `www.authz` when no `config` is given. */
  auth?: WwwAuthOptions;
  authz?: WwwAuthzOptions;
  /** /ws limits (see ws/server.ts). */
  ws?: WsOptions;
  /** Default 8010; 0 picks a free port (tests). */
  port?: number;
  /** Default 0.0.0.0 (all interfaces). */
  host?: string;
  /** Largest accepted request body in bytes (webhooks); default 1 MiB (`www.bodyLimit`). Bigger bodies get 413. */
  bodyLimit?: number;
  /** Header, request and idle timeouts and the per-address connection cap; defaults HTTP_CONNECTION_DEFAULTS (net/connection-limits.ts). */
  connections?: Partial<ConnectionLimits>;
  logger?: Logger;
  /** Enabled change hook dialects and their options, e.g. `{ base: {}, github: { secret } }`. None by default. */
  changeHooks?: Record<string, Record<string, unknown> | boolean | undefined>;
  /** `www.changeHookAuth` when no `config` is given (see hooks/hook-auth.ts). */
  changeHookAuth?: ChangeHookAuthEntry[] | false | null;
  /** Additional dialect implementations by name. */
  changeHookDialects?: Record<string, ChangeHookDialect>;
  /** /metrics, /healthz and /readyz (www/monitoring/); none without it. */
  monitoring?: MonitoringRoutes;
  /** Called with the app (and the security context) before it listens, so other modules can add routes. */
  configure?: (app: FastifyInstance, ctx: { security: Security }) => void | Promise<void>;
}

/** Every option createHttpServer knows; any other key is refused (a typo must not pass as a default). */
// A record rather than a list, so an option added to HttpServerOptions and not here fails to compile.
const HTTP_SERVER_OPTIONS: Readonly<Record<keyof HttpServerOptions, true>> = {
  data: true, mq: true, control: true, config: true, masterDir: true, auth: true, authz: true, ws: true, port: true, host: true,
  bodyLimit: true, connections: true, logger: true, changeHooks: true, changeHookAuth: true, changeHookDialects: true, configure: true,
  monitoring: true,
};
const HTTP_SERVER_OPTION_KEYS = Object.keys(HTTP_SERVER_OPTIONS) as ReadonlyArray<keyof HttpServerOptions>;

export interface HttpServer {
  app: FastifyInstance;
  port: number;
  security: Security;
  /**
   * Applies a new master config without restarting the listener: auth, authz, change hooks and
   * their authentication (see reconfigure.ts). Throws, changing nothing, when the new settings
   * cannot be built; logs a warning for each changed setting that needs a restart and returns them.
   */
  reconfigure(config: WwwMasterConfig): string[];
  close(): Promise<void>;
}

export async function createHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  refuseUnknownOptions('createHttpServer', opts, HTTP_SERVER_OPTION_KEYS);
  const app = Fastify({
    loggerInstance: opts.logger as any,
    bodyLimit: opts.bodyLimit ?? HTTP_DEFAULTS.bodyLimit,
    routerOptions: { ignoreTrailingSlash: true },
    // Errors fastify answers itself (bad URLs, non-HTTP requests) take the server's one error shape.
    frameworkErrors,
    clientErrorHandler,
  });
  // Form bodies (the change hooks read their raw bodies themselves: hooks/routes.ts).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (_req, body, done) => {
    const out: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams((body as Buffer).toString('utf8'))) (out[k] ??= []).push(v);
    done(null, out);
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    if (!(body as Buffer).length) return done(null, {});
    try { done(null, JSON.parse((body as Buffer).toString('utf8'))); } catch {
      const err = new Error('request body is not valid JSON') as Error & { statusCode: number; jsonrpc: number };
      err.statusCode = 400;
      err.jsonrpc = JSONRPC_CODES.parse_error;
      done(err, undefined);
    }
  });
  // Every error is JSON with a message; API POSTs get a JSON-RPC error object like Buildbot's.
  registerErrorHandler(app);

  const config = opts.config;
  const masterDir = config?.masterDir ?? opts.masterDir ?? null;
  const db = opts.data.db as DataConnector['db'] | undefined;
  const security = new Security({
    masterDir,
    auth: config?.www?.auth ?? opts.auth,
    authz: config?.www?.authz ?? opts.authz,
    buildbotURL: config?.buildbotURL ?? null,
    sessions: db?.webSessions
      ? { table: db.webSessions, durable: () => db.durable(), onError: (err, what) => app.log.warn({ err }, `${what} failed; the next sweep tries again`) }
      : undefined,
  });
  const target = opts.control ?? null;
  const control = new ControlActions(opts.data, target, () => security.authz, app.log);
  // Workers paused over the API before a restart stay paused (the flag lives in the database).
  if (target) for (const w of await opts.data.getList<{ name: string; paused: boolean }>(['workers'])) if (w.paused) target.setWorkerPaused(w.name, true);
  registerAuthRoutes(app, security);
  registerRestApi(app, opts.data, { security, control, target });
  if (opts.monitoring) registerMonitoringRoutes(app, opts.monitoring, security);
  const hookConfig = (auth: ChangeHookAuthEntry[] | false | null | undefined, enabled: HttpServerOptions['changeHooks'], limits: ResolvedAuthOptions) => ({
    enabled: enabled ?? {}, auth, host: opts.host ?? HTTP_DEFAULTS.host,
    authOptions: { masterDir, usersStore: security.authn.store, burst: limits.loginBurst, refillPerSecond: limits.loginRefillPerSecond },
  });
  const hooks = registerChangeHooks(app, opts.data.updates, {
    ...hookConfig(config?.www?.changeHookAuth ?? opts.changeHookAuth, opts.changeHooks, security.authn.options), dialects: opts.changeHookDialects,
    deliveries: db?.hookDeliveries ?? null, onError: (err, what) => app.log.warn({ err }, `${what} failed; the next delivery tries again`),
  });
  const closeWs = registerWebSocket(app, { mq: opts.mq ?? opts.data.mq, security, control }, opts.ws);
  if (opts.configure) await opts.configure(app, { security });
  const c = opts.connections ?? {};
  applyConnectionLimits(app.server, {
    headersTimeoutMs: c.headersTimeoutMs ?? HTTP_CONNECTION_DEFAULTS.headersTimeoutMs,
    requestTimeoutMs: c.requestTimeoutMs ?? HTTP_CONNECTION_DEFAULTS.requestTimeoutMs,
    idleTimeoutMs: c.idleTimeoutMs ?? HTTP_CONNECTION_DEFAULTS.idleTimeoutMs,
    maxConnectionsPerAddress: c.maxConnectionsPerAddress ?? HTTP_CONNECTION_DEFAULTS.maxConnectionsPerAddress,
  }, {
    logger: app.log, capOption: 'www.maxConnectionsPerAddress', format: 'json',
  });
  try {
    await app.listen({ port: opts.port ?? HTTP_DEFAULTS.port, host: opts.host ?? HTTP_DEFAULTS.host });
  } catch (err) {
    // A port that cannot be opened fails the master's start: close what is set up so far (subscriptions, session sweeps).
    closeWs();
    await app.close().catch(() => {});
    await security.close().catch(() => {});
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? HTTP_DEFAULTS.port);

  let running = config;
  const reconfigure = (next: WwwMasterConfig): string[] => {
    if (!next.www) {
      // The server keeps running until the restart: with the rules it has, not defaults nobody chose.
      app.log.warn({ path: 'www' }, 'www was removed from the config; the HTTP server keeps its current settings and stops when the master restarts');
      return ['www'];
    }
    const www: WwwOptions = next.www;
    // Both built before either is applied: a reconfig changes all of www's rules or none.
    const sec = security.prepare({ auth: www.auth, authz: www.authz, buildbotURL: next.buildbotURL ?? null });
    const hookRules = hooks.prepare(hookConfig(www.changeHookAuth, www.changeHooks, sec.auth));
    sec.commit();
    hookRules.commit();
    const restart = running ? restartOnlyChanges(running, next) : [];
    for (const path of restart) app.log.warn({ path }, `${path} changed; it takes effect when the master restarts`);
    running = next;
    return restart;
  };
  return {
    app, port, security, reconfigure,
    close: async () => { closeWs(); await app.close(); await security.close(); },
  };
}
