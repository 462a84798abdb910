/**
 * Outgoing HTTP for the reporters (GitHub, GitLab, Gerrit REST, HTTP push, chat webhooks): one
 * request in, `{ status, headers, body }` out, or a TransportError (./errors.ts) that says whether
 * to try again and when.
 *
 * What Node 20's `fetch` does not do and a CI master needs:
 * - a proxy from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY` (and their lower-case forms), through
 *   undici's EnvHttpProxyAgent: https targets through a CONNECT tunnel, http targets forwarded
 *   plainly (as curl does), hosts named in NO_PROXY reached directly;
 * - a connect timeout and a timeout on the whole exchange, body included;
 * - TLS verification always on unless a reporter turns it off, and a per-reporter CA (an internal
 *   GitLab) added to the usual roots;
 * - rate limits read into "wait until T" (./rate-limit.ts) instead of a blind retry;
 * - a cap on the response body, so a misbehaving endpoint cannot fill the master's memory;
 * - no secret in any error text (./redaction.ts).
 * Redirects are not followed: a status API that moved answers with a permanent error naming the
 * new location (following it could carry the token to another host).
 */
import { Agent, EnvHttpProxyAgent, request, type Dispatcher } from 'undici';
import { RateLimitError, TransportError, TransportErrorCodes as C, shortDetail, type TransportErrorCode } from './errors.js';
import { RATE_LIMIT_DEFAULTS, rateLimitState, waitAnswer, type RateLimitOptions } from './rate-limit.js';
import { displayUrl, requestSecrets, scrub } from './redaction.js';
import { trustedCas } from './tls-ca.js';

/** Options a reporter sets once (its config) and passes with every request. */
export interface HttpTransportOptions extends RateLimitOptions {
  /**
   * Limit on the whole exchange (connect, send, headers, body), ms.
   * @default 30000
   */
  timeoutMs?: number;
  /**
   * Limit on opening the connection (TCP and TLS, or the proxy tunnel), ms.
   * @default 10000
   */
  connectTimeoutMs?: number;
  /**
   * Extra CA certificate(s) to trust besides the usual public roots: PEM text, or the path of a PEM file.
   * @default none (the public roots only)
   */
  ca?: string;
  /**
   * Verify the server's TLS certificate. Turn off only for a test server: anyone on the path could read the token.
   * @default true
   */
  rejectUnauthorized?: boolean;
  /**
   * Largest response body kept, bytes; a longer one is cut (`truncated: true`), since a reporter only reads a short answer.
   * @default 1048576 (1 MiB)
   */
  maxResponseBytes?: number;
  /**
   * Use the proxy named by HTTPS_PROXY/HTTP_PROXY/NO_PROXY (lower-case forms too). `false` always connects directly.
   * @default true
   */
  useEnvProxy?: boolean;
  /** More literal secrets to keep out of error texts (an SMTP password, a token sent in the body). @default none */
  secrets?: readonly string[];
  /** The URL's path is itself a credential (a Slack or Matrix webhook): error texts show only its origin. @default false */
  secretPath?: boolean;
}

export interface HttpRequest extends HttpTransportOptions {
  method: string;
  url: string;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
  /** Aborts the request (a master shutting down); the error is a retryable TIMEOUT-coded one. */
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: string;
  /** The body was longer than `maxResponseBytes` and was cut. */
  truncated: boolean;
  /** The service's announced limit (GitHub/GitLab headers): a pool may slow down before it is hit. */
  rateLimit?: { remaining: number; resetAt?: number };
}

type Defaulted = 'timeoutMs' | 'connectTimeoutMs' | 'rejectUnauthorized' | 'maxResponseBytes' | 'useEnvProxy' | keyof RateLimitOptions;
type Compiled = HttpTransportOptions & Required<Pick<HttpTransportOptions, Defaulted>>;

export const HTTP_DEFAULTS: Readonly<Required<Pick<HttpTransportOptions, Defaulted>>> = {
  timeoutMs: 30_000,
  connectTimeoutMs: 10_000,
  rejectUnauthorized: true,
  maxResponseBytes: 1024 * 1024,
  useEnvProxy: true,
  ...RATE_LIMIT_DEFAULTS,
};

/**
 * Sends one request. Resolves with a 2xx answer; throws a TransportError for anything else:
 * RateLimitError (with `retryAfterMs`) for a 429 or a rate-limit 403, retryable for 5xx/408/network
 * faults/timeouts, permanent for other 4xx and 3xx, each with a message that says what to do.
 */
export async function sendHttp(req: HttpRequest): Promise<HttpResponse> {
  const o: Compiled = { ...HTTP_DEFAULTS, ...definedOnly(req) };
  const headers = req.headers ?? {};
  const secrets = requestSecrets(req.url, headers, [...(o.secrets ?? []), ...proxySecrets()]);
  const shown = `${req.method.toUpperCase()} ${displayUrl(req.url, o.secretPath)}`;
  const fail = (code: TransportErrorCode, message: string, extra: { status?: number; detail?: string; retryable?: boolean; retryAfterMs?: number; cause?: unknown } = {}) =>
    new TransportError(code, scrub(`${shown}: ${message}`, secrets), {
      target: shown, ...extra, ...(extra.detail !== undefined ? { detail: scrub(extra.detail, secrets) } : {}),
    });

  let url: URL;
  try { url = new URL(req.url); } catch { throw fail(C.CONFIG, 'not a valid URL: give an absolute http:// or https:// URL', { retryable: false }); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw fail(C.CONFIG, `unsupported scheme ${url.protocol}: use http:// or https://`, { retryable: false });
  if (url.username || url.password) throw fail(C.CONFIG, 'credentials in the URL are not sent: put them in the reporter\'s auth or token option', { retryable: false });

  let dispatcher: Dispatcher;
  try { dispatcher = dispatcherFor(o); } catch (e) { throw fail(C.CONFIG, (e as Error).message, { retryable: false }); }

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, o.timeoutMs);
  const signal = req.signal ? AbortSignal.any([controller.signal, req.signal]) : controller.signal;
  try {
    const res = await request(url, {
      method: req.method.toUpperCase() as Dispatcher.HttpMethod,
      headers: { ...headers },
      ...(req.body !== undefined ? { body: req.body } : {}),
      dispatcher,
      signal,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
    });
    const { body, truncated } = await readCapped(res.body, o.maxResponseBytes);
    const resHeaders = flatHeaders(res.headers);
    const answer: HttpResponse = { status: res.statusCode, headers: resHeaders, body, truncated };
    const state = rateLimitState(resHeaders);
    if (state) answer.rateLimit = state;
    if (res.statusCode >= 200 && res.statusCode < 300) return answer;
    throw statusError(answer, shown, secrets, o);
  } catch (e) {
    if (e instanceof TransportError) throw e;
    if (timedOut) throw fail(C.TIMEOUT, `no complete answer within ${o.timeoutMs} ms: the service is slow or hangs; it will be retried (raise timeoutMs if it is always this slow)`, { cause: e });
    if (req.signal?.aborted) throw fail(C.TIMEOUT, 'aborted before the answer was complete (the master is stopping); it will be retried', { cause: e });
    throw networkError(e, fail, o);
  } finally {
    clearTimeout(timer);
  }
}

/** The error for a non-2xx answer, with the service's own words and what to do. */
function statusError(res: HttpResponse, shown: string, secrets: readonly string[], o: Compiled): TransportError {
  const { status } = res;
  const said = shortDetail(scrub(serviceMessage(res.body), secrets));
  const detail = said ? `: ${said}` : '';
  const now = Date.now();
  const wait = waitAnswer(status, res.headers, res.body, now, o);
  const ctx = { target: shown, status, detail: said };
  if (wait?.limited) {
    const until = new Date(now + wait.waitMs).toISOString();
    return new RateLimitError(scrub(`${shown}: rate-limited (HTTP ${status}${detail}); waiting ${Math.ceil(wait.waitMs / 1000)} s (until ${until}, from ${wait.source}) before sending to it again`, secrets),
      { ...ctx, retryAfterMs: wait.waitMs, now });
  }
  const say = (code: TransportErrorCode, what: string, retryable?: boolean) =>
    new TransportError(code, scrub(`${shown}: HTTP ${status}${detail}; ${what}`, secrets), {
      ...ctx, ...(retryable !== undefined ? { retryable } : {}), ...(wait ? { retryAfterMs: wait.waitMs } : {}),
    });
  if (status >= 500 || status === 408 || status === 425) return say(C.SERVER_ERROR, wait ? `the service failed and asks to wait ${Math.ceil(wait.waitMs / 1000)} s; it will be retried then` : 'the service failed; it will be retried');
  if (status === 401) return say(C.AUTH, 'the credentials were refused: check the reporter\'s token or password (it may be wrong, expired or revoked)');
  if (status === 403) return say(C.AUTH, 'the credentials lack permission: give the token the scope it needs (GitHub: repo:status or statuses: write; GitLab: api) and the account access to the project');
  if (status === 404) return say(C.REFUSED, 'no such resource: check the URL (baseURL, repository or project, revision); GitHub also answers 404 to a token that cannot see the repository');
  if (status === 407) return say(C.PROXY, 'the proxy asks for credentials: give them in the proxy URL (HTTPS_PROXY=http://user:password@proxy:port)', false);
  if (status >= 300 && status < 400) {
    const loc = res.headers.location ? ` to ${displayUrl(res.headers.location, o.secretPath)}` : '';
    return say(C.REFUSED, `the service redirects${loc}; redirects are not followed (they could carry the token elsewhere): configure the new URL`);
  }
  return say(C.REFUSED, status === 400 || status === 422
    ? 'the service refused the request as invalid (a value it does not accept); it will not be retried'
    : 'the service refused the request; it will not be retried');
}

/** GitHub/GitLab/Matrix put the reason in `message`/`error` (GitHub's field details in `errors`); otherwise the body as text. */
function serviceMessage(body: string): string {
  const text = body.replace(/^\)\]\}'\s*/, ''); // Gerrit's XSSI prefix
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    const parts = [j.errcode, j.message, j.error, j.error_description, j.errors].filter((v) => typeof v === 'string' || (typeof v === 'object' && v !== null));
    if (parts.length) return parts.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' ');
  } catch { /* not JSON */ }
  return text;
}

type Fail = (code: TransportErrorCode, message: string, extra?: { retryable?: boolean; cause?: unknown }) => TransportError;

const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_REVOKED', 'CERT_SIGNATURE_FAILURE',
]);

/** A fault below HTTP, named for what the user can do about it. */
function networkError(e: unknown, fail: Fail, o: { connectTimeoutMs: number }): TransportError {
  const chain: Array<{ code?: string; message?: string; address?: string; port?: number; hostname?: string }> = [];
  for (let c: unknown = e; c && typeof c === 'object' && chain.length < 5; c = (c as { cause?: unknown }).cause) chain.push(c as never);
  const codes = chain.map((c) => c.code ?? '');
  const has = (...names: string[]) => codes.find((c) => names.includes(c));
  const where = chain.find((c) => c.address)?.address;
  const at = where ? ` (${where}${chain.find((c) => c.port)?.port ? `:${chain.find((c) => c.port)!.port}` : ''})` : '';
  const msg = chain.map((c) => c.message ?? '').find((m) => m) ?? String(e);
  const proxy = /Proxy/i.exec(msg) ? msg : undefined;
  if (proxy && /407/.test(proxy)) return fail(C.PROXY, 'the proxy asks for credentials: give them in the proxy URL (HTTPS_PROXY=http://user:password@proxy:port)', { retryable: false, cause: e });
  if (proxy) return fail(C.PROXY, `the proxy did not open the connection (${proxy}): check HTTPS_PROXY/HTTP_PROXY and NO_PROXY; it will be retried`, { cause: e });
  if (has('UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT')) return fail(C.TIMEOUT, `could not connect within ${o.connectTimeoutMs} ms${at}: check the host and port, the firewall, or the proxy settings; it will be retried`, { cause: e });
  if (has('UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT')) return fail(C.TIMEOUT, 'the service stopped answering mid-way; it will be retried', { cause: e });
  if (has('ECONNREFUSED')) return fail(C.NETWORK, `connection refused${at}: nothing listens there; check the URL's host and port and that the service runs; it will be retried`, { cause: e });
  if (has('ENOTFOUND', 'EAI_AGAIN')) return fail(C.NETWORK, `the host name${chain.find((c) => c.hostname)?.hostname ? ` ${chain.find((c) => c.hostname)!.hostname}` : ''} does not resolve: check the URL's host (or the DNS); it will be retried`, { cause: e });
  const cert = has(...CERT_CODES);
  if (cert) return fail(C.TLS, `the server's TLS certificate is not trusted (${cert}): if it comes from a private CA, give the reporter's ca option that CA's certificate (PEM text or file)`, { cause: e });
  if (has('ERR_TLS_CERT_ALTNAME_INVALID')) return fail(C.TLS, `the server's TLS certificate is not for this host name (${msg}): use the host name the certificate names`, { cause: e });
  if (codes.some((c) => c === 'EPROTO' || c.startsWith('ERR_SSL') || c.startsWith('ERR_TLS'))) return fail(C.TLS, `the TLS handshake failed (${msg}): check that the port speaks TLS (https://) or plain HTTP (http://)`, { cause: e });
  if (has('ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED')) return fail(C.NETWORK, `the connection broke before the answer was complete${at}; it will be retried`, { cause: e });
  return fail(C.NETWORK, `the request failed (${msg}); it will be retried`, { cause: e });
}

/** Reads at most `max` bytes of the body; the rest is dropped with the connection. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, max: number): Promise<{ body: string; truncated: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (size + chunk.length > max) {
      parts.push(chunk.subarray(0, max - size));
      body.destroy();
      return { body: Buffer.concat(parts).toString('utf8'), truncated: true };
    }
    parts.push(chunk);
    size += chunk.length;
  }
  return { body: Buffer.concat(parts).toString('utf8'), truncated: false };
}

function flatHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const PROXY_VARS = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'] as const;

/** The passwords in the proxy variables: undici's errors may quote the proxy URL. */
function proxySecrets(): string[] {
  return PROXY_VARS.flatMap((v) => { const p = process.env[v]; return p ? requestSecrets(p) : []; });
}

/**
 * Dispatchers keep connections open between requests (a reporter sends many to one service), so
 * one is made per distinct TLS/proxy setting and kept; the proxy variables are part of the key,
 * so a changed environment gets a new one. Bounded: the oldest is closed past MAX_DISPATCHERS.
 */
const dispatchers = new Map<string, Dispatcher>();
const MAX_DISPATCHERS = 32;

function dispatcherFor(o: { ca?: string; rejectUnauthorized: boolean; connectTimeoutMs: number; useEnvProxy: boolean }): Dispatcher {
  const ca = trustedCas(o.ca);
  const env = o.useEnvProxy ? [...PROXY_VARS, 'no_proxy', 'NO_PROXY'].map((v) => process.env[v] ?? '') : [];
  const key = JSON.stringify([ca?.at(-1) ?? '', o.rejectUnauthorized, o.connectTimeoutMs, o.useEnvProxy, env]);
  const known = dispatchers.get(key);
  if (known) { dispatchers.delete(key); dispatchers.set(key, known); return known; }
  const tls = { rejectUnauthorized: o.rejectUnauthorized, timeout: o.connectTimeoutMs, ...(ca ? { ca } : {}) };
  const made = o.useEnvProxy
    ? new EnvHttpProxyAgent({ connect: tls, requestTls: tls, proxyTls: { timeout: o.connectTimeoutMs }, proxyTunnel: false })
    : new Agent({ connect: tls });
  dispatchers.set(key, made);
  if (dispatchers.size > MAX_DISPATCHERS) {
    const [oldestKey, oldest] = dispatchers.entries().next().value!;
    dispatchers.delete(oldestKey);
    void oldest.close().catch(() => {});
  }
  return made;
}

/** Closes every kept connection (master shutdown, end of a test). */
export async function closeHttpConnections(): Promise<void> {
  const all = [...dispatchers.values()];
  dispatchers.clear();
  await Promise.all(all.map((d) => d.close().catch(() => {})));
}
