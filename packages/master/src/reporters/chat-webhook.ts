/**
 * `reporters.chatWebhook({ url, format, token, room, generators, ... })`: a chat message per report.
 *
 * - `format: 'slack'` (default) or `'mattermost'`: the JSON an incoming webhook takes
 *   (`{ "text": ... }`, plus `username`/`channel`/`icon_url` when given), POSTed to `url`; Slack,
 *   Mattermost and Rocket.Chat all accept it. The webhook URL is itself the credential: it may be
 *   util.secret(...), and error texts show only its origin.
 * - `format: 'matrix'`: the client-server API, `PUT {url}/_matrix/client/v3/rooms/{room}/send/
 *   m.room.message/{txnId}` with the access token `token`, an `m.notice` (a bot's message kind)
 *   with the HTML body as `formatted_body` when the report is HTML. The transaction id is the
 *   report's own (its outbox id and time), so a delivery repeated after a failure or a crash is
 *   the same transaction: the homeserver posts it once.
 *
 * Incoming webhooks have no such key: a Slack message repeated after a crash (sent, then the
 * master killed before it recorded the delivery) is posted twice.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { describe, type Obj } from '../model/config-checks.js';
import { isRenderable } from '../process/step-types.js';
import { ReporterBase, type Generator, type GeneratorSpec, type Report, type ReporterContext, type ReporterSpec } from './base.js';
import { checkHttpReporterOptions, HTTP_REPORTER_KEYS, httpTransport, httpTransportOptions, type HttpReporterOptions } from './http-options.js';
import { htmlToText } from './mail-notifier.js';
import { checkSecret, checkUrl, renderSecrets, type SecretOrString } from './options.js';
import type { ReporterKind } from './registry.js';
import type { CheckContext } from './generators/filters.js';
import { TransportError, TransportErrorCodes } from './transport/errors.js';

export const CHAT_FORMATS = ['slack', 'mattermost', 'matrix'] as const;
export type ChatFormat = (typeof CHAT_FORMATS)[number];

export interface ChatWebhookOptions extends HttpReporterOptions {
  /** slack/mattermost: the incoming webhook's URL (may be util.secret(...)); matrix: the homeserver's URL. Required. */
  url: SecretOrString;
  /** Default 'slack'. */
  format?: ChatFormat;
  /** matrix: the bot's access token. Required for matrix. */
  token?: SecretOrString;
  /** matrix: the room ID (`!abc123:example.org`, Room settings > Advanced; an alias is not accepted). Required for matrix. */
  room?: string;
  /** matrix: 'm.notice' (default: what bots send) or 'm.text'. */
  msgtype?: 'm.notice' | 'm.text';
  /** slack/mattermost: the name, channel and icon the message is posted with, where the webhook lets them be changed. */
  username?: string;
  channel?: string;
  iconUrl?: string;
  generators?: GeneratorSpec[];
  name?: string;
  retryFor?: number;
  concurrency?: number;
}

export type ChatWebhookSpec = ReporterSpec & ChatWebhookOptions & { kind: 'chatWebhook' };
export const CHAT_WEBHOOK_KEYS = ['url', 'format', 'token', 'room', 'msgtype', 'username', 'channel', 'iconUrl', ...HTTP_REPORTER_KEYS] as const;
/** Slack's limit on a message's text (longer ones are refused with msg_too_long). */
export const SLACK_TEXT_MAX = 40_000;
export const DEFAULT_CHAT_TEMPLATE = '%(kw:buildername)s #%(kw:number)s %(kw:result)s: %(kw:summary)s %(kw:build_url)s';

/** The Matrix transaction id of a report: the same for every delivery of it. */
export function matrixTxnId(report: Report): string {
  return `mastro-${report.event.id}-${report.event.createdAtMs ?? 0}`;
}

export class ChatWebhook extends ReporterBase<ChatWebhookSpec> {
  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const body = typeof report.body === 'string' ? report.body.trim() : report.body ? JSON.stringify(report.body, null, 2) : '';
    if (!body) return;
    const url = String((await renderSecrets(this.spec.url, ctx)) ?? '');
    if (!/^https?:\/\//.test(url)) {
      throw new TransportError(TransportErrorCodes.CONFIG, `reporter ${this.name}: the url secret does not hold an http(s):// URL: give the webhook's URL`, { target: 'chat webhook', retryable: false });
    }
    const format = this.spec.format ?? 'slack';
    const { sendHttp } = await httpTransport();
    const common = { signal: ctx.signal, ...httpTransportOptions(this.spec) };
    if (format !== 'matrix') {
      const text = report.type === 'html' ? (report.text ?? htmlToText(body)) : body;
      const payload: Record<string, unknown> = { text: text.length > SLACK_TEXT_MAX ? `${text.slice(0, SLACK_TEXT_MAX - 20)}\n[cut: too long]` : text };
      if (this.spec.username) payload.username = this.spec.username;
      if (this.spec.channel) payload.channel = this.spec.channel;
      if (this.spec.iconUrl) payload.icon_url = this.spec.iconUrl;
      await sendHttp({ method: 'POST', url, body: JSON.stringify(payload), headers: { 'content-type': 'application/json', 'user-agent': 'mastro' }, secretPath: true, secrets: [url], ...common });
      return;
    }
    const token = String((await renderSecrets(this.spec.token, ctx)) ?? '');
    const content: Record<string, unknown> = { msgtype: this.spec.msgtype ?? 'm.notice', body: report.type === 'html' ? (report.text ?? htmlToText(body)) : body };
    if (report.type === 'html') Object.assign(content, { format: 'org.matrix.custom.html', formatted_body: body });
    const path = `/_matrix/client/v3/rooms/${encodeURIComponent(this.spec.room!)}/send/m.room.message/${encodeURIComponent(matrixTxnId(report))}`;
    await sendHttp({
      method: 'PUT', url: `${url.replace(/\/+$/, '')}${path}`, body: JSON.stringify(content), secrets: [token],
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'user-agent': 'mastro' }, ...common,
    });
  }
}

export const chatWebhookKind: ReporterKind<ChatWebhookSpec> = {
  optionKeys: CHAT_WEBHOOK_KEYS,
  // One line per finished build (Buildbot's default modes: failing, passing, warnings).
  defaultGenerators: () => [{ kind: 'buildStatus', messageFormatter: { template: DEFAULT_CHAT_TEMPLATE } }],
  check(c: IssueCollector, o: Obj, _ctx: CheckContext) {
    if (isRenderable(o.url)) { /* a secret URL: checked when it is rendered */ } else checkUrl(c, o, 'url');
    const format = o.format ?? 'slack';
    if (!(CHAT_FORMATS as readonly unknown[]).includes(format)) { c.add('format', `must be one of ${CHAT_FORMATS.join(', ')}, got ${describe(format)}`); return; }
    if (format === 'matrix') {
      checkSecret(c, o, 'token', true);
      if (typeof o.room !== 'string' || !o.room) c.add('room', "is required for matrix: the room ID, e.g. '!abc123:example.org' (Room settings > Advanced)");
      else if (!/^![^:\s]+:\S+$/.test(o.room)) c.add('room', `must be a room ID such as '!abc123:example.org' (Room settings > Advanced), not ${JSON.stringify(o.room)}${o.room.startsWith('#') ? ' (an alias)' : ''}`);
      if (o.msgtype !== undefined && o.msgtype !== 'm.notice' && o.msgtype !== 'm.text') c.add('msgtype', `must be 'm.notice' or 'm.text', got ${describe(o.msgtype)}`);
      for (const k of ['username', 'channel', 'iconUrl']) if (o[k] !== undefined) c.add(k, "is for slack and mattermost webhooks; a Matrix message comes from the token's user");
    } else {
      for (const k of ['token', 'room', 'msgtype']) if (o[k] !== undefined) c.add(k, `is for format 'matrix'; a ${format} webhook's URL is its credential`);
      for (const k of ['username', 'channel', 'iconUrl']) if (o[k] !== undefined && (typeof o[k] !== 'string' || !o[k])) c.add(k, `must be a non-empty string, got ${describe(o[k])}`);
    }
    checkHttpReporterOptions(c, o);
  },
  create: (spec, generators: Generator[]) => new ChatWebhook(spec, 'chatWebhook', generators),
};
