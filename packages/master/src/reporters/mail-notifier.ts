/**
 * `reporters.mailNotifier({ fromaddr, relayhost, smtpPort, useTls, useSmtps, smtpUser, smtpPassword,
 * sendToInterestedUsers, extraRecipients, lookup, extraHeaders, generators })`: mails through an
 * SMTP relay (Buildbot's MailNotifier, same options and meanings; delivery by ./transport/smtp.ts).
 *
 * Who gets a build's mail (Buildbot's processRecipients): the interested users (the changes'
 * authors and the builds' owners, their names turned into addresses by `lookup`) in To with
 * `extraRecipients` in Cc; without interested users, `extraRecipients` in To. A missing worker's
 * mail goes to its `notifyOnMissing` addresses. HTML reports carry a text part too; logs a
 * generator attaches (`addLogs`) are attachments. A mail nobody can receive is a permanent failure
 * that says why, not a silent drop; addresses the relay refused are logged.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { bool, describe, isPlainObject, num, type Obj } from '../model/config-checks.js';
import { ReporterBase, type Generator, type GeneratorSpec, type Report, type ReporterContext, type ReporterSpec } from './base.js';
import { checkSecret, checkStringRecord, renderSecrets, type SecretOrString } from './options.js';
import type { MailAttachment } from './transport/smtp.js';
import { TransportError, TransportErrorCodes } from './transport/errors.js';
import type { ReporterKind } from './registry.js';
import type { CheckContext } from './generators/filters.js';
import { renderValue } from '../process/renderables.js';
import { Properties } from '../process/properties.js';

/** Turns a user name (a change author) into an address; null when there is none. */
export type LookupFn = (user: string) => string | null | undefined | Promise<string | null | undefined>;

export interface MailNotifierOptions {
  /** The From address. Required. */
  fromaddr: string;
  /** The SMTP relay. Default 'localhost'. */
  relayhost?: string;
  /** Default 25 (465 with useSmtps). */
  smtpPort?: number;
  /** Insist on STARTTLS. Default false (STARTTLS is still used when offered). */
  useTls?: boolean;
  /** TLS from the first byte (SMTPS). Default false. */
  useSmtps?: boolean;
  smtpUser?: SecretOrString;
  smtpPassword?: SecretOrString;
  /** Mail the interested users (the changes' authors). Default true. */
  sendToInterestedUsers?: boolean;
  /** Addresses that get every mail (Cc when there are interested users). Default none. */
  extraRecipients?: string[];
  /**
   * Maps user names to addresses: a domain (`'example.org'`: `alice` -> `alice@example.org`), a
   * mapping `{ alice: 'alice@example.org' }`, or a function. Names that are addresses already
   * (`Alice <alice@example.org>`, as git gives them) are kept. Default: only those.
   */
  lookup?: string | Record<string, string> | LookupFn;
  /** Extra mail headers; values may use build properties (`%(prop:branch)s`) when the mail is about one build. */
  extraHeaders?: Record<string, string | { getRenderingFor(ctx: unknown): unknown }>;
  /** Extra CA certificate for the relay: PEM text or a PEM file's path. */
  ca?: string;
  /** Verify the relay's TLS certificate. Default true. */
  rejectUnauthorized?: boolean;
  generators?: GeneratorSpec[];
  name?: string;
  retryFor?: number;
  concurrency?: number;
}

export type MailNotifierSpec = ReporterSpec & MailNotifierOptions & { kind: 'mailNotifier' };

export const MAIL_NOTIFIER_KEYS = [
  'fromaddr', 'relayhost', 'smtpPort', 'useTls', 'useSmtps', 'smtpUser', 'smtpPassword', 'sendToInterestedUsers',
  'extraRecipients', 'lookup', 'extraHeaders', 'ca', 'rejectUnauthorized', 'dumpMailsToLog',
] as const;

// Buildbot's VALID_EMAIL: `user@example.org`, `Full Name <user@example.org>`, `<user@example.org>`.
const ADDR = String.raw`(?:\S+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+\.?)`;
const VALID_EMAIL = new RegExp(String.raw`^(?:${ADDR}|(.+\s+)?<${ADDR}>\s*)$`);

export function isValidEmail(s: string): boolean {
  return VALID_EMAIL.test(s);
}

/** The bare address of `Name <addr>` or `addr`. */
export function bareAddress(s: string): string {
  const m = /<([^>]+)>\s*$/.exec(s);
  return (m ? m[1]! : s).trim();
}

async function lookUp(lookup: MailNotifierOptions['lookup'], user: string): Promise<string | null> {
  if (typeof lookup === 'function') return (await lookup(user)) ?? null;
  if (isPlainObject(lookup)) {
    if (Object.hasOwn(lookup, user)) return lookup[user]!;
    const bare = bareAddress(user);
    if (Object.hasOwn(lookup, bare)) return lookup[bare]!;
    return user.includes('@') ? user : null;
  }
  // Buildbot's Domain: a name with '@' is an address already.
  if (user.includes('@')) return user;
  return typeof lookup === 'string' ? `${user}@${lookup}` : null;
}

/** HTML to readable text for the text part of a template's HTML mail. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(br|\/p|\/div|\/h\d|\/li|\/tr)\s*\/?>/gi, '\n')
    .replace(/<li[^>]*>/gi, '  - ')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n');
}

// Loaded when first used (once): a config check or a master without this reporter never loads nodemailer.
let transport: Promise<typeof import('./transport/smtp.js')> | null = null;
const smtpTransport = () => (transport ??= import('./transport/smtp.js'));

export class MailNotifier extends ReporterBase<MailNotifierSpec> {
  /** The recipients of a report: [to, cc]. */
  async recipients(report: Report, ctx: ReporterContext): Promise<{ to: string[]; cc: string[]; refused: string[] }> {
    const s = this.spec;
    if (report.worker) return { to: [...report.users], cc: [], refused: [] };
    const interested = new Set<string>();
    const refused: string[] = [];
    if (s.sendToInterestedUsers !== false) {
      for (const u of report.users) {
        let r = await lookUp(s.lookup, u);
        if (r === null) { refused.push(u); continue; }
        // Git can give 'User' <user@foo.com>@foo.com: Buildbot chops the last '@' part.
        if ((r.match(/@/g) ?? []).length > 1) r = r.slice(0, r.lastIndexOf('@'));
        if (isValidEmail(r)) interested.add(r); else refused.push(u);
      }
    }
    if (refused.length) ctx.logger.info({ reporter: this.name, users: refused }, `reporter ${this.name}: no mail address for ${refused.join(', ')} (give mailNotifier a lookup that maps them)`);
    const extra = s.extraRecipients ?? [];
    return interested.size ? { to: [...interested].sort(), cc: [...extra], refused } : { to: [...extra], cc: [], refused };
  }

  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const s = this.spec;
    const { to, cc, refused } = await this.recipients(report, ctx);
    if (!to.length && !cc.length) {
      const why = report.worker
        ? `worker ${report.worker.name} has no notifyOnMissing addresses`
        : `the report has no interested user with an address${refused.length ? ` (no address for ${refused.join(', ')}: give a lookup)` : ''} and extraRecipients is empty`;
      throw new TransportError(TransportErrorCodes.CONFIG, `reporter ${this.name}: nobody to mail: ${why}; add extraRecipients or a lookup`, { target: `mail from ${s.fromaddr}`, retryable: false });
    }
    const body = typeof report.body === 'string' ? report.body : JSON.stringify(report.body, null, 2);
    const html = report.type === 'html' ? body : undefined;
    const text = report.type === 'html' ? (report.text ?? htmlToText(body)) : body;
    const multiBuild = report.builds.length > 1;
    const attachments: MailAttachment[] = report.logs.map((l) => ({
      filename: `${multiBuild ? `${l.buildername}.` : ''}${l.stepname}.${l.name}`,
      content: l.truncatedLines ? `[the first ${l.truncatedLines} lines of this log are left out; the whole log is in the web UI]\n${l.content}` : l.content,
      contentType: 'text/plain; charset=utf-8',
    }));
    const headers = await this.headers(report, ctx);
    const { sendMail } = await smtpTransport();
    const [smtpUser, smtpPassword] = await Promise.all([renderSecrets(s.smtpUser, ctx), renderSecrets(s.smtpPassword, ctx)]);
    const result = await sendMail({
      relayhost: s.relayhost, smtpPort: s.smtpPort, useTls: s.useTls, useSmtps: s.useSmtps,
      ...(smtpUser !== undefined ? { smtpUser: String(smtpUser) } : {}),
      ...(smtpPassword !== undefined ? { smtpPassword: String(smtpPassword) } : {}),
      ...(s.ca !== undefined ? { ca: s.ca } : {}),
      ...(s.rejectUnauthorized !== undefined ? { rejectUnauthorized: s.rejectUnauthorized } : {}),
    }, {
      from: s.fromaddr, to, cc, subject: report.subject ?? `${ctx.title}: ${report.generator}`, text: ensureBlankEnd(text),
      ...(html !== undefined ? { html } : {}), attachments, ...(headers ? { headers } : {}),
    });
    if (result.rejected.length) {
      ctx.logger.warn({ reporter: this.name, rejected: result.rejected }, `reporter ${this.name}: the relay refused ${result.rejected.map((r) => `${r.address} (${r.reply})`).join(', ')}; the others got the mail`);
    }
  }

  /** extraHeaders, rendered with the build's properties when the mail is about one build (as Buildbot). */
  private async headers(report: Report, ctx: ReporterContext): Promise<Record<string, string> | undefined> {
    const h = this.spec.extraHeaders;
    if (!h) return undefined;
    const build = report.builds.length === 1 ? report.builds[0] : undefined;
    const properties = new Properties(build?.properties ?? {});
    const rendered = await renderValue(h, { properties, sourcestamps: [], workerInfo: {}, getSecret: (n) => ctx.getSecret(n) });
    return Object.fromEntries(Object.entries(rendered as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
}

/** Buildbot ends every body with a blank line. */
function ensureBlankEnd(s: string): string {
  return s.endsWith('\n\n') ? s : s.endsWith('\n') ? `${s}\n` : `${s}\n\n`;
}

function checkAddressList(c: IssueCollector, o: Obj, key: string): void {
  const v = o[key];
  if (v === undefined) return;
  if (!Array.isArray(v)) { c.add(key, `must be a list of mail addresses, got ${describe(v)}`); return; }
  v.forEach((a, i) => { if (typeof a !== 'string' || !isValidEmail(a)) c.at(key).add(i, `is not a valid mail address: ${describe(a)}`); });
}

export const mailNotifierKind: ReporterKind<MailNotifierSpec> = {
  optionKeys: MAIL_NOTIFIER_KEYS,
  // Buildbot's defaults: build results (html) and missing workers (html).
  defaultGenerators: () => [{ kind: 'buildStatus' }, { kind: 'workerMissing' }],
  templateType: 'html',
  check(c: IssueCollector, o: Obj, _ctx: CheckContext) {
    if (typeof o.fromaddr !== 'string' || !o.fromaddr) c.add('fromaddr', 'is required (the From address, e.g. ci@example.org)');
    else if (!isValidEmail(o.fromaddr)) c.add('fromaddr', `is not a valid mail address: ${JSON.stringify(o.fromaddr)}`);
    if (o.relayhost !== undefined && (typeof o.relayhost !== 'string' || !o.relayhost)) c.add('relayhost', 'must be a host name');
    if (o.smtpPort !== undefined) num(c, o, 'smtpPort', { fallback: 25, min: 1, max: 65535, integer: true });
    for (const k of ['useTls', 'useSmtps', 'sendToInterestedUsers', 'rejectUnauthorized', 'dumpMailsToLog']) if (o[k] !== undefined) bool(c, o, k, false);
    if (o.useTls === true && o.useSmtps === true) c.add('useSmtps', 'give useTls (STARTTLS) or useSmtps (TLS from the first byte), not both');
    checkSecret(c, o, 'smtpUser');
    checkSecret(c, o, 'smtpPassword');
    if ((o.smtpUser === undefined) !== (o.smtpPassword === undefined)) c.add(o.smtpUser === undefined ? 'smtpUser' : 'smtpPassword', 'give smtpUser and smtpPassword together (or neither to send without logging in)');
    checkAddressList(c, o, 'extraRecipients');
    const l = o.lookup;
    if (l !== undefined && typeof l !== 'function') {
      if (typeof l === 'string') { if (!l || l.includes('@')) c.add('lookup', `must be a mail domain such as 'example.org' (no '@'), got ${JSON.stringify(l)}`); }
      else checkStringRecord(c, o, 'lookup', false);
    }
    checkStringRecord(c, o, 'extraHeaders');
    if (o.ca !== undefined && (typeof o.ca !== 'string' || !o.ca)) c.add('ca', 'must be PEM text or the path of a PEM file');
  },
  create: (spec, generators: Generator[]) => new MailNotifier(spec, 'mailNotifier', generators),
};
