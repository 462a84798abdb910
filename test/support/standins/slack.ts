/**
 * A stand-in for a Slack incoming webhook (api.slack.com, "Sending messages using incoming
 * webhooks"), which Mattermost and Rocket.Chat also accept: `POST` to the webhook's secret URL
 * (`/services/T…/B…/…`), `Content-Type: application/json`, a body with `text` or `blocks` (or
 * legacy `attachments`); answered `ok` in plain text, or Slack's error words (`no_text`,
 * `invalid_payload`, `invalid_blocks`, `no_service`, `msg_too_long`) with its status codes, and
 * 429 with `retry-after` when rate-limited (Slack allows about one message a second per hook).
 * Unknown fields are let through, as Slack does: Mattermost and Rocket.Chat add their own.
 */
import { Standin, isObject, type ServiceSpec, type StandinReply, type StandinRequest } from './http-standin.js';

export interface SlackStandinOptions {
  /** The webhook path, the secret part of its URL. @default '/services/T000MASTRO/B000MASTRO/XXXXmastroXXXXtokenXXXX' */
  path?: string;
  tls?: { cert: string; key: string };
}

export interface SlackMessage { text?: string; blocks?: unknown[]; attachments?: unknown[]; body: Record<string, unknown> }

const word = (status: number, w: string): StandinReply => ({ status, body: w });

export class SlackSpec implements ServiceSpec {
  readonly name = 'Slack webhook';
  readonly messages: SlackMessage[] = [];
  readonly path: string;

  constructor(o: SlackStandinOptions) { this.path = o.path ?? '/services/T000MASTRO/B000MASTRO/XXXXmastroXXXXtokenXXXX'; }

  handle(r: StandinRequest): StandinReply {
    if (r.rawPath !== this.path) return word(404, 'no_service');
    if (r.method !== 'POST') return word(405, 'invalid_payload');
    if (!(r.headers['content-type'] ?? '').startsWith('application/json')) return word(400, 'invalid_payload');
    if (!isObject(r.json)) return word(400, 'invalid_payload');
    const b = r.json;
    if (b.text !== undefined && typeof b.text !== 'string') return word(400, 'invalid_payload');
    if (b.blocks !== undefined && (!Array.isArray(b.blocks) || b.blocks.some((x) => !isObject(x) || typeof x.type !== 'string'))) return word(400, 'invalid_blocks');
    if (b.attachments !== undefined && !Array.isArray(b.attachments)) return word(400, 'invalid_attachments');
    const hasText = typeof b.text === 'string' && b.text.trim() !== '';
    if (!hasText && !(Array.isArray(b.blocks) && b.blocks.length) && !(Array.isArray(b.attachments) && b.attachments.length)) return word(400, 'no_text');
    if (typeof b.text === 'string' && b.text.length > 40_000) return word(400, 'msg_too_long');
    const m: SlackMessage = { body: b };
    if (typeof b.text === 'string') m.text = b.text;
    if (Array.isArray(b.blocks)) m.blocks = b.blocks;
    if (Array.isArray(b.attachments)) m.attachments = b.attachments;
    this.messages.push(m);
    return word(200, 'ok');
  }

  serverError(status: number): StandinReply { return word(status, 'internal_error'); }
  rateLimited(retryAfterS: number): StandinReply { return { status: 429, body: 'rate_limited', headers: { 'retry-after': String(retryAfterS) } }; }
}

/** `webhookUrl` is what a reporter's `url` option gets. */
export async function startSlackStandin(o: SlackStandinOptions = {}): Promise<{ server: Standin; slack: SlackSpec; webhookUrl: string }> {
  const slack = new SlackSpec(o);
  const server = await Standin.start(slack, o.tls ? { tls: o.tls } : {});
  return { server, slack, webhookUrl: `${server.url}${slack.path}` };
}
