/**
 * Serves the web UI (built into `packages/master/dist/ui` by `ui/build.mjs`) at `/`.
 *
 * The built files are indexed once at registration: a request is a lookup in that table, never a
 * filesystem path built from the URL, so no request can reach a file outside the UI folder
 * (`..`, encoded slashes, symlinks pointing elsewhere and NUL bytes simply find no entry).
 * Files are small and few, so they are held in memory with a gzip copy for text types.
 *
 * Caching: every response carries a strong ETag and `Cache-Control: no-cache` (revalidate, 304 when
 * unchanged): file names are not content-hashed, so an upgraded master must never serve a stale
 * module next to a fresh one.
 *
 * Client routes: the UI uses Buildbot's hash URLs (`/#/builders/1`), but a GET for an unknown path
 * without a file extension that accepts HTML (a bookmarked `/builders/1`) gets index.html, whose
 * router understands path routes too. API, auth, hook and WebSocket prefixes never fall back.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { isInside } from 'mastro-protocol';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface UiStaticOptions {
  /** Folder with the built UI; default: `dist/ui` of the mastro package. */
  root?: string;
  /** Largest file indexed in bytes (a stray big file in the folder is skipped); default 8 MiB. */
  maxFileSize?: number;
  /** URL prefixes that are never answered with index.html; default API, auth, hooks and /ws. */
  reservedPrefixes?: string[];
}

export const UI_STATIC_DEFAULTS = {
  maxFileSize: 8 * 1024 * 1024,
  reservedPrefixes: ['/api/', '/auth/', '/change_hook/', '/ws', '/avatar', '/config'],
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

interface Asset { body: Buffer; gzip: Buffer | null; type: string; etag: string }

/** The default UI folder, whether this module runs compiled (dist/www) or from source under tsx (src/www). */
export function defaultUiRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, '..', 'ui'), join(here, '..', '..', 'dist', 'ui')];
  return candidates.find((c) => existsSync(join(c, 'index.html'))) ?? candidates[0]!;
}

/** Reads every regular file under `root` (following no symlink out of it) into a URL-path table. */
export function indexUiFiles(root: string, maxFileSize: number = UI_STATIC_DEFAULTS.maxFileSize): Map<string, Asset> {
  const table = new Map<string, Asset>();
  if (!existsSync(root)) return table;
  const realRoot = realpathSync(root);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      let real: string;
      try { real = realpathSync(full); } catch { continue; }
      if (!isInside(realRoot, real)) continue;
      const st = statSync(real);
      if (st.isDirectory()) { walk(full); continue; }
      if (!st.isFile() || st.size > maxFileSize) continue;
      const type = CONTENT_TYPES[extname(name).toLowerCase()];
      if (!type) continue;
      const body = readFileSync(real);
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type) && body.length > 512;
      const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
      table.set('/' + relative(root, full).split(sep).join('/'), { body, gzip: compressible ? gzipSync(body) : null, type, etag });
    }
  };
  walk(root);
  return table;
}

const NOT_BUILT_PAGE = `<!doctype html><meta charset="utf-8"><title>mastro</title>
<p>The mastro web UI has not been built. Run <code>npm run build</code> in the mastro checkout, then restart the master.
The REST API is available at <a href="/api/v2">/api/v2</a>.</p>`;

export async function registerUiStatic(app: FastifyInstance, opts: UiStaticOptions = {}): Promise<void> {
  const root = opts.root ?? defaultUiRoot();
  const table = indexUiFiles(root, opts.maxFileSize ?? UI_STATIC_DEFAULTS.maxFileSize);
  const reserved = opts.reservedPrefixes ?? [...UI_STATIC_DEFAULTS.reservedPrefixes];
  const index = table.get('/index.html');
  if (!index) app.log.warn({ root }, 'web UI not built (no index.html): run `npm run build`; serving a notice at /');

  const send = (req: FastifyRequest, reply: FastifyReply, a: Asset) => {
    reply.header('content-type', a.type).header('etag', a.etag).header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff').header('vary', 'accept-encoding');
    if (a.type.startsWith('text/html')) {
      reply.header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin')
        .header('content-security-policy', "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'");
    }
    if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
    const gz = a.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gz) reply.header('content-encoding', 'gzip');
    return reply.send(gz ? a.gzip : a.body);
  };

  const notFound = (reply: FastifyReply, path: string) =>
    reply.code(404).type('application/json; charset=utf-8').send(JSON.stringify({ error: `no such path: ${path}` }));

  app.get('/*', async (req, reply) => {
    const rawPath = req.url.split('?')[0]!;
    let path: string;
    try { path = decodeURIComponent(rawPath); } catch { return notFound(reply, rawPath); }
    if (path === '/' || path === '') {
      if (!index) return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
      return send(req, reply, index);
    }
    const asset = table.get(path);
    if (asset) return send(req, reply, asset);
    if (reserved.some((p) => path === p.replace(/\/$/, '') || path.startsWith(p))) return notFound(reply, path);
    const wantsHtml = /text\/html/.test(String(req.headers.accept ?? ''));
    if (index && wantsHtml && !extname(path)) return send(req, reply, index);
    return notFound(reply, path);
  });
}
