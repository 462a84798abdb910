/**
 * `reporters.httpStatusPush({ url, auth, headers, generators, ... })`: POSTs one JSON document per
 * report (Buildbot's HttpStatusPush). By default the document is the build in Buildbot's build dict
 * shape (`buildid`, `number`, `results`, `builder`, `buildset` with its `sourcestamps`, `properties`,
 * `steps`, `url`, ...), sent when a build starts and when it finishes. A generator with a text
 * formatter sends `{ subject, body, type, builds }` instead.
 *
 * Every request carries `X-Mastro-Report: <id>`: a delivery can be repeated (a master killed after
 * the endpoint answered but before the row was marked delivered), and the id lets a receiver drop
 * the repeat.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe, type Obj } from '../model/config-checks.js';
import { ReporterBase, type Generator, type GeneratorSpec, type Report, type ReporterContext, type ReporterSpec } from './base.js';
import { checkSecret, checkStringRecord, checkUrl, isSecretLike, renderSecrets, type SecretOrString } from './options.js';
import type { ReporterKind } from './registry.js';
import type { CheckContext } from './generators/filters.js';
import { checkHttpReporterOptions, HTTP_REPORTER_KEYS, httpTransport, httpTransportOptions, type HttpReporterOptions } from './http-options.js';

export interface HttpStatusPushOptions extends HttpReporterOptions {
  /** Where to POST. (`serverUrl`, Buildbot's name, is accepted too.) */
  url?: string;
  serverUrl?: string;
  /** HTTP Basic credentials: `{ user, password }` or Buildbot's `[user, password]`; the password may be util.secret(...). */
  auth?: { user: string; password: SecretOrString } | [string, SecretOrString];
  /** Extra headers (e.g. `Authorization: Bearer ...` as util.secret(...)). */
  headers?: Record<string, SecretOrString>;
  generators?: GeneratorSpec[];
  name?: string;
  retryFor?: number;
  concurrency?: number;
}

export type HttpStatusPushSpec = ReporterSpec & HttpStatusPushOptions & { kind: 'httpStatusPush' };

export const HTTP_STATUS_PUSH_KEYS = ['url', 'serverUrl', 'auth', 'headers', ...HTTP_REPORTER_KEYS, 'debug'] as const;

export class HttpStatusPush extends ReporterBase<HttpStatusPushSpec> {
  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const s = this.spec;
    const url = (s.url ?? s.serverUrl)!;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-mastro-report': String(report.event.id), ...(await renderSecrets(s.headers ?? {}, ctx)) as Record<string, string> };
    const secrets: string[] = [];
    if (s.auth) {
      const [user, password] = Array.isArray(s.auth) ? s.auth : [s.auth.user, s.auth.password];
      const pw = String(await renderSecrets(password, ctx));
      secrets.push(pw);
      headers.authorization = `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;
    }
    const { sendHttp } = await httpTransport();
    const document = report.type === 'json' ? report.body : { subject: report.subject, body: report.body, type: report.type, builds: report.builds, worker: report.worker };
    await sendHttp({
      method: 'POST', url, headers, body: JSON.stringify(document), signal: ctx.signal, secrets, ...httpTransportOptions(s),
    });
  }
}

export const httpStatusPushKind: ReporterKind<HttpStatusPushSpec> = {
  optionKeys: HTTP_STATUS_PUSH_KEYS,
  // Buildbot's default: BuildStatusGenerator(report_new=True) with the build as the JSON document.
  defaultGenerators: () => [{ kind: 'buildStatus', reportNew: true }],
  templateType: 'json',
  check(c: IssueCollector, o: Obj, _ctx: CheckContext) {
    if (o.url !== undefined && o.serverUrl !== undefined) c.add('serverUrl', 'give url or serverUrl (its Buildbot name), not both');
    else if (o.serverUrl !== undefined) checkUrl(c, o, 'serverUrl');
    else checkUrl(c, o, 'url');
    const auth = o.auth;
    if (auth !== undefined && auth !== null) {
      if (Array.isArray(auth)) {
        if (auth.length !== 2 || typeof auth[0] !== 'string') c.add('auth', "must be [user, password] or { user, password }");
        else if (!isSecretLike(auth[1])) c.at('auth').add(1, `the password must be a non-empty string or util.secret('name'), got ${describe(auth[1])}`);
      } else if (typeof auth === 'object') {
        const a = auth as Obj;
        if (typeof a.user !== 'string' || !a.user) c.at('auth').add('user', 'is required (the HTTP Basic user name)');
        checkSecret(c.at('auth'), a, 'password', true);
        for (const k of Object.keys(a)) if (k !== 'user' && k !== 'password') c.at('auth').add(k, 'unknown option; options are: user, password');
      } else c.add('auth', `must be { user, password } or [user, password], got ${describe(auth)}`);
    }
    checkStringRecord(c, o, 'headers');
    checkHttpReporterOptions(c, o);
  },
  create: (spec, generators: Generator[]) => new HttpStatusPush(spec, 'httpStatusPush', generators),
};
