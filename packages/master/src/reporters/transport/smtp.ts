/**
 * Sends one mail through an SMTP relay with nodemailer: text and HTML parts, attachments (log
 * tails), To/Cc/Bcc, From, extra headers. The mail notifier builds the message; this module only
 * delivers it and says, when it cannot, whether to try again (./errors.ts).
 *
 * The options keep Buildbot's MailNotifier names and meanings (buildbot/reporters/mail.py):
 * `relayhost` (default localhost), `smtpPort` (default 25), `useTls` = insist on STARTTLS (Twisted's
 * requireTransportSecurity), `useSmtps` = TLS from the first byte (implicit TLS, usually port 465),
 * `smtpUser`/`smtpPassword` = log in. With neither TLS option, STARTTLS is still used when the server
 * offers it (nodemailer's default), and the certificate is verified whenever TLS is used.
 *
 * One connection per mail: mails are few (one per build result at most) and a long-lived pool would
 * hold a connection the relay may drop at any time.
 */
import { hostname } from 'node:os';
import nodemailer from 'nodemailer';
import { TransportError, TransportErrorCodes as C, shortDetail, type TransportErrorCode } from './errors.js';
import { scrub } from './redaction.js';
import { trustedCas } from './tls-ca.js';

export interface SmtpOptions {
  /** The SMTP server to hand mail to. @default 'localhost' */
  relayhost?: string;
  /** Its port. @default 25, or 465 with useSmtps */
  smtpPort?: number;
  /** Insist on STARTTLS (Buildbot's useTls): a server that does not offer it is an error. @default false */
  useTls?: boolean;
  /** Implicit TLS from the first byte (Buildbot's useSmtps, SMTPS on port 465). @default false */
  useSmtps?: boolean;
  /** Log in as this user (with smtpPassword). @default none: no login */
  smtpUser?: string;
  smtpPassword?: string;
  /** Extra CA certificate(s) to trust for the relay's TLS certificate: PEM text or a PEM file's path. @default none */
  ca?: string;
  /** Verify the relay's TLS certificate. @default true */
  rejectUnauthorized?: boolean;
  /** Limit on connecting and the server's greeting, ms. @default 30000 */
  connectTimeoutMs?: number;
  /** Limit on silence from the server once connected, ms. @default 60000 */
  socketTimeoutMs?: number;
  /** The name given in EHLO. @default the machine's host name */
  heloName?: string;
}

export interface MailAttachment {
  filename: string;
  content: string | Uint8Array;
  /** @default guessed from the file name by nodemailer (text/plain for .log/.txt) */
  contentType?: string;
}

export interface MailMessage {
  from: string;
  to: readonly string[];
  cc?: readonly string[];
  bcc?: readonly string[];
  subject: string;
  text: string;
  html?: string;
  attachments?: readonly MailAttachment[];
  /** Extra headers (Buildbot's extraHeaders). */
  headers?: Readonly<Record<string, string>>;
}

export interface MailResult {
  messageId: string;
  /** Recipients the relay took. */
  accepted: string[];
  /** Recipients it refused while taking the others, with its reply: the caller must record these (nothing is lost silently). */
  rejected: Array<{ address: string; reply: string }>;
  /** The relay's final reply (`250 OK: queued as …`). */
  response: string;
}

export const SMTP_DEFAULTS = { relayhost: 'localhost', smtpPort: 25, smtpsPort: 465, connectTimeoutMs: 30_000, socketTimeoutMs: 60_000 } as const;

type NodemailerError = Error & { code?: string; responseCode?: number; response?: string; command?: string; rejected?: string[]; rejectedErrors?: NodemailerError[]; recipient?: string; cause?: unknown };

/** Sends `message`; resolves when the relay accepted it for at least one recipient. */
export async function sendMail(opts: SmtpOptions, message: MailMessage): Promise<MailResult> {
  const host = opts.relayhost ?? SMTP_DEFAULTS.relayhost;
  const port = opts.smtpPort ?? (opts.useSmtps ? SMTP_DEFAULTS.smtpsPort : SMTP_DEFAULTS.smtpPort);
  const target = `${opts.useSmtps ? 'smtps' : 'smtp'}://${host}:${port}`;
  const secrets = passwordForms(opts);
  const fail = (code: TransportErrorCode, text: string, extra: { retryable?: boolean; status?: number; detail?: string; cause?: unknown } = {}) =>
    new TransportError(code, scrub(`${target}: ${text}`, secrets), { target, ...extra, ...(extra.detail ? { detail: scrub(extra.detail, secrets) } : {}) });

  if (!message.to.length && !message.cc?.length && !message.bcc?.length) throw fail(C.CONFIG, 'the mail has no recipient: give extraRecipients or interested users with addresses', { retryable: false });
  if (opts.smtpUser && opts.smtpPassword === undefined) throw fail(C.CONFIG, `smtpUser ${opts.smtpUser} is set without smtpPassword: give both, or neither to send without logging in`, { retryable: false });
  let ca: string[] | undefined;
  try { ca = trustedCas(opts.ca); } catch (e) { throw fail(C.CONFIG, (e as Error).message, { retryable: false }); }

  const transport = nodemailer.createTransport({
    host, port,
    secure: opts.useSmtps === true,
    requireTLS: opts.useTls === true && opts.useSmtps !== true,
    name: opts.heloName ?? hostname(),
    connectionTimeout: opts.connectTimeoutMs ?? SMTP_DEFAULTS.connectTimeoutMs,
    greetingTimeout: opts.connectTimeoutMs ?? SMTP_DEFAULTS.connectTimeoutMs,
    socketTimeout: opts.socketTimeoutMs ?? SMTP_DEFAULTS.socketTimeoutMs,
    tls: { rejectUnauthorized: opts.rejectUnauthorized ?? true, ...(ca ? { ca } : {}) },
    // forceAuth: nodemailer would otherwise send without logging in when the server offers no
    // AUTH, and a relay that lets unauthenticated mail through today may not tomorrow.
    ...(opts.smtpUser ? { auth: { user: opts.smtpUser, pass: opts.smtpPassword! }, forceAuth: true } : {}),
    // No attachment or body may name a file or URL for nodemailer to read: content is always given.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  try {
    const info = await transport.sendMail({
      from: message.from,
      to: [...message.to],
      ...(message.cc?.length ? { cc: [...message.cc] } : {}),
      ...(message.bcc?.length ? { bcc: [...message.bcc] } : {}),
      subject: message.subject,
      text: message.text,
      ...(message.html !== undefined ? { html: message.html } : {}),
      ...(message.headers ? { headers: { ...message.headers } } : {}),
      attachments: (message.attachments ?? []).map((a) => ({
        filename: a.filename,
        content: typeof a.content === 'string' ? a.content : Buffer.from(a.content),
        ...(a.contentType ? { contentType: a.contentType } : {}),
      })),
    });
    const rejectedErrors = (info.rejectedErrors ?? []) as NodemailerError[];
    return {
      messageId: info.messageId,
      accepted: (info.accepted ?? []).map(String),
      rejected: (info.rejected ?? []).map((a) => {
        const address = String(a);
        const err = rejectedErrors.find((e) => e.recipient === address);
        return { address, reply: scrub(err?.response ?? 'refused', secrets) };
      }),
      response: info.response,
    };
  } catch (e) {
    throw classify(e as NodemailerError, fail, opts);
  } finally {
    transport.close();
  }
}

type Fail = (code: TransportErrorCode, text: string, extra?: { retryable?: boolean; status?: number; detail?: string; cause?: unknown }) => TransportError;

function classify(e: NodemailerError, fail: Fail, opts: SmtpOptions): TransportError {
  const reply = e.response ? shortDetail(e.response) : '';
  const status = e.responseCode;
  const withReply = reply ? ` (${reply})` : '';
  const base = { cause: e, ...(status !== undefined ? { status } : {}), ...(reply ? { detail: reply } : {}) };
  const permanentReply = status !== undefined && status >= 500 && status < 600 && status !== 503;
  const chainText = [e.message, ...causes(e).map((c) => c.message ?? '')].join(' ');
  const chainCodes = [e.code ?? '', ...causes(e).map((c) => c.code ?? '')];
  // nodemailer replaces a socket error's code with its own (ESOCKET) and keeps Node's in the text.
  const mentions = (name: string) => chainCodes.includes(name) || chainText.includes(name);

  if (e.code === 'EAUTH' || e.code === 'ENOAUTH') {
    // 500/502/504 to AUTH: the command is unknown or not offered here (many relays offer it only after STARTTLS).
    if (status === 500 || status === 502 || status === 504 || (status === undefined && /not support|no auth|not available/i.test(chainText))) {
      return fail(C.CONFIG, `the server offers no login on this connection: set useTls (STARTTLS) or useSmtps if it offers one over TLS, or leave smtpUser unset${withReply}`, { ...base, retryable: false });
    }
    if (!permanentReply && status !== undefined) return fail(C.SERVER_ERROR, `the server could not check the login just now${withReply}; it will be retried`, base);
    return fail(C.AUTH, `the server refused the login of ${opts.smtpUser ?? '(no user)'}${withReply}: check smtpUser and smtpPassword`, { ...base, retryable: false });
  }
  if (e.code === 'EENVELOPE') {
    const refused = e.rejected?.length ? ` ${e.rejected.join(', ')}` : '';
    if (/no recipients/i.test(e.message)) return fail(C.CONFIG, 'the mail has no recipient: give extraRecipients or interested users with addresses', { ...base, retryable: false });
    if (permanentReply || status === undefined) return fail(C.REFUSED, `the server refused the recipient(s)${refused} or the sender${withReply}: check the addresses (lookup, extraRecipients, fromaddr)`, { ...base, retryable: false });
    return fail(C.SERVER_ERROR, `the server deferred the recipient(s)${refused}${withReply}; it will be retried`, base);
  }
  const cert = chainCodes.find((c) => /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(c)) ?? (/certificate/i.test(chainText) ? 'certificate' : undefined);
  if (cert) return fail(C.TLS, `the server's TLS certificate is not trusted (${cert}: ${e.message}): if it comes from a private CA, give the reporter's ca option that CA's certificate`, base);
  if (e.code === 'ETLS' || /STARTTLS/i.test(chainText)) {
    if (opts.useTls && /not (support|offer|advertis)|STARTTLS/i.test(chainText) && !/handshake/i.test(chainText)) {
      return fail(C.CONFIG, `useTls insists on STARTTLS but the server does not offer it (${e.message}): use useSmtps if the port speaks TLS from the start, or turn useTls off for a trusted local relay`, { ...base, retryable: false });
    }
    return fail(C.TLS, `TLS with the server failed (${e.message}): check that the port and useTls/useSmtps match the server`, base);
  }
  if (status !== undefined) {
    if (permanentReply) return fail(C.REFUSED, `the server refused the mail${withReply}; it will not be retried: check the message size and the relay's rules for this sender`, { ...base, retryable: false });
    return fail(C.SERVER_ERROR, `the server deferred the mail${withReply}; it will be retried`, base);
  }
  if (mentions('ETIMEDOUT')) return fail(C.TIMEOUT, `no answer from the server in time (${e.message}); it will be retried`, base);
  if (mentions('ECONNREFUSED')) return fail(C.NETWORK, 'connection refused: nothing listens there; check relayhost and smtpPort and that the mail server runs; it will be retried', base);
  if (e.code === 'EDNS' || mentions('ENOTFOUND') || mentions('EAI_AGAIN')) return fail(C.NETWORK, `the host name does not resolve (${e.message}): check relayhost; it will be retried`, base);
  if (/wrong version number|packet length|EPROTO/i.test(chainText) ) {
    return fail(C.TLS, `the TLS handshake failed (${e.message}): useSmtps is for ports that speak TLS from the start (465); for STARTTLS on 25/587 use useTls`, base);
  }
  return fail(C.NETWORK, `sending failed (${e.code ?? 'error'}: ${e.message}); it will be retried`, base);
}

function causes(e: { cause?: unknown }): Array<{ code?: string; message?: string }> {
  const out: Array<{ code?: string; message?: string }> = [];
  for (let c = e.cause; c && typeof c === 'object' && out.length < 5; c = (c as { cause?: unknown }).cause) out.push(c as never);
  return out;
}

/** The password as given and in the forms AUTH PLAIN/LOGIN put it on the wire (base64), to scrub from any text. */
function passwordForms(opts: SmtpOptions): string[] {
  const pw = opts.smtpPassword;
  if (!pw) return [];
  return [pw, Buffer.from(pw).toString('base64'), Buffer.from(`\0${opts.smtpUser ?? ''}\0${pw}`).toString('base64')];
}
