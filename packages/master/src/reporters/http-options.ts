/**
 * The outgoing-HTTP options every HTTP reporter takes (httpStatusPush, the GitHub, GitLab and
 * Gerrit REST reporters, chatWebhook), with Buildbot's `verify` name: their checks and their
 * translation into the transport's options (./transport/http.ts has the defaults).
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe, num, type Obj } from '../model/config-checks.js';
import type { HttpTransportOptions } from './transport/http.js';

export interface HttpReporterOptions {
  /** Verify the server's TLS certificate (Buildbot's `verify`). Default true. */
  verify?: boolean;
  /** Extra CA certificate for the endpoint: PEM text or a PEM file's path. Default none. */
  ca?: string;
  /** Limit on one request, ms. Default 30000. */
  timeoutMs?: number;
}

export const HTTP_REPORTER_KEYS = ['verify', 'ca', 'timeoutMs'] as const;

export function checkHttpReporterOptions(c: IssueCollector, o: Obj): void {
  if (o.verify !== undefined && typeof o.verify !== 'boolean') c.add('verify', `must be true or false, got ${describe(o.verify)}`);
  if (o.ca !== undefined && (typeof o.ca !== 'string' || !o.ca)) c.add('ca', 'must be PEM text or the path of a PEM file');
  if (o.timeoutMs !== undefined) num(c, o, 'timeoutMs', { fallback: 30_000, min: 1, integer: true });
}

/** The transport options the reporter's config sets. */
export function httpTransportOptions(s: HttpReporterOptions): Pick<HttpTransportOptions, 'timeoutMs' | 'ca' | 'rejectUnauthorized'> {
  return {
    ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
    ...(s.ca !== undefined ? { ca: s.ca } : {}),
    ...(s.verify === false ? { rejectUnauthorized: false } : {}),
  };
}

// Loaded when first used, once (an import() per report costs a module resolution through the
// master's loader hooks): a config check or a master without HTTP reporters never loads undici.
let transport: Promise<typeof import('./transport/http.js')> | null = null;
export const httpTransport = (): Promise<typeof import('./transport/http.js')> => (transport ??= import('./transport/http.js'));
