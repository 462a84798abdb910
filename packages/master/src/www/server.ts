/**
 * The master's HTTP server (default port 8010): REST API and change hooks now; auth, control
 * (JSON-RPC), /ws and the UI are mounted by later modules through `app`.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { DataConnector } from '../data/connector.js';
import { registerRestApi } from './api/rest.js';
import { registerChangeHooks } from './hooks/routes.js';
import type { ChangeHookDialect } from './hooks/dialects.js';

export const HTTP_DEFAULTS = { port: 8010, host: '0.0.0.0', bodyLimit: 10 * 1024 * 1024 } as const;

export interface HttpServerOptions {
  data: DataConnector;
  /** Default 8010; 0 picks a free port (tests). */
  port?: number;
  /** Default 0.0.0.0 (all interfaces). */
  host?: string;
  /** Largest accepted request body in bytes (webhooks); default 10 MiB. Bigger bodies get 413. */
  bodyLimit?: number;
  logger?: Logger;
  /** Enabled change hook dialects and their options, e.g. `{ base: {}, github: { secret } }`. None by default. */
  changeHooks?: Record<string, Record<string, unknown> | boolean | undefined>;
  /** Additional dialect implementations by name. */
  changeHookDialects?: Record<string, ChangeHookDialect>;
  /** Called with the app before it listens, so other modules can add routes. */
  configure?: (app: FastifyInstance) => void | Promise<void>;
  [extra: string]: unknown;
}

export interface HttpServer { app: FastifyInstance; port: number; close(): Promise<void> }

export async function createHttpServer(opts: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: opts.logger as any,
    bodyLimit: opts.bodyLimit ?? HTTP_DEFAULTS.bodyLimit,
    routerOptions: { ignoreTrailingSlash: true },
  });
  // Form bodies (Buildbot's base hook and `sendchange` post urlencoded forms); the raw bytes are kept for signature checks.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, body, done) => {
    (req as any).rawBody = body;
    (req as any).isFormBody = true;
    const out: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams((body as Buffer).toString('utf8'))) (out[k] ??= []).push(v);
    done(null, out);
  });
  // Webhooks of other content types reach their dialect as raw bytes.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (req, body, done) => {
    (req as any).rawBody = body;
    done(null, body);
  });
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    (req as any).rawBody = body;
    if (!(body as Buffer).length) return done(null, {});
    try { done(null, JSON.parse((body as Buffer).toString('utf8'))); } catch {
      const err = new Error('request body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });
  registerRestApi(app, opts.data);
  registerChangeHooks(app, opts.data.updates, { enabled: opts.changeHooks ?? {}, dialects: opts.changeHookDialects });
  if (opts.configure) await opts.configure(app);
  await app.listen({ port: opts.port ?? HTTP_DEFAULTS.port, host: opts.host ?? HTTP_DEFAULTS.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? HTTP_DEFAULTS.port);
  return { app, port, close: () => app.close() };
}
