/**
 * A stand-in for the Matrix client-server API call that posts a message to a room (spec v1.x,
 * "PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}"): the room ID %-encoded in the
 * path (`!abc:server`), `Authorization: Bearer <access token>`, a JSON `m.room.message` content
 * (`msgtype`, `body`, and `format: org.matrix.custom.html` with `formatted_body`), answered with
 * `{ event_id }` or Matrix's `{ errcode, error }` errors; 429 `M_LIMIT_EXCEEDED` with
 * `retry_after_ms` (and `Retry-After`). The transaction ID makes the call idempotent, as the spec
 * requires: the same txnId from the same token gets the same event, posted once. Stricter than a
 * homeserver (which stores any content): content fields outside the spec's are refused.
 */
import { Standin, isObject, segments, type ServiceSpec, type StandinReply, type StandinRequest } from './http-standin.js';

const MSGTYPES = new Set(['m.text', 'm.notice', 'm.emote']);
const CONTENT_FIELDS = new Set(['msgtype', 'body', 'format', 'formatted_body', 'm.relates_to', 'm.mentions', 'm.new_content']);

export interface MatrixStandinOptions {
  accessToken: string;
  /** The bot's user ID. @default '@mastro:mastro.test' */
  userId?: string;
  /** Rooms the bot has joined (room IDs). */
  rooms: readonly string[];
  tls?: { cert: string; key: string };
}

export interface MatrixEvent { eventId: string; roomId: string; txnId: string; content: Record<string, unknown> }

const merr = (status: number, errcode: string, error: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): StandinReply =>
  ({ status, body: { errcode, error, ...extra }, headers });

export class MatrixSpec implements ServiceSpec {
  readonly name = 'Matrix';
  /** Each event posted once, whatever the retries. */
  readonly events: MatrixEvent[] = [];
  private readonly byTxn = new Map<string, MatrixEvent>();
  private readonly userId: string;
  private next = 1;

  constructor(private readonly o: MatrixStandinOptions) { this.userId = o.userId ?? '@mastro:mastro.test'; }

  handle(r: StandinRequest): StandinReply {
    const p = segments(r.rawPath);
    const isSend = p.length === 8 && p[0] === '_matrix' && p[1] === 'client' && p[3] === 'rooms' && p[5] === 'send';
    if (!isSend || p[2] !== 'v3') return merr(404, 'M_UNRECOGNIZED', 'Unrecognized request');
    if (r.method !== 'PUT') return merr(405, 'M_UNRECOGNIZED', 'Unrecognized request');
    const auth = /^Bearer (\S+)$/.exec(r.headers.authorization ?? '');
    if (!auth) return merr(401, 'M_MISSING_TOKEN', 'Missing access token');
    if (auth[1] !== this.o.accessToken) return merr(401, 'M_UNKNOWN_TOKEN', 'Unknown access token', { soft_logout: false });
    const [roomId, eventType, txnId] = [p[4]!, p[6]!, p[7]!];
    if (!roomId.startsWith('!')) return merr(400, 'M_INVALID_PARAM', `${roomId} is not a room ID (a room alias must be resolved first)`);
    if (!this.o.rooms.includes(roomId)) return merr(403, 'M_FORBIDDEN', `User ${this.userId} not in room ${roomId}`);
    if (eventType !== 'm.room.message') return merr(400, 'M_INVALID_PARAM', `the stand-in takes only m.room.message events, not ${eventType}`);
    if (r.json === undefined) return merr(400, 'M_NOT_JSON', 'Content not JSON.');
    if (!isObject(r.json)) return merr(400, 'M_BAD_JSON', 'Content must be a JSON object');
    const c = r.json;
    const key = `${auth[1]} ${txnId}`;
    const seen = this.byTxn.get(key);
    if (seen) return { status: 200, body: { event_id: seen.eventId } };
    for (const k of Object.keys(c)) if (!CONTENT_FIELDS.has(k)) return merr(400, 'M_BAD_JSON', `unknown content field ${k} (the stand-in refuses fields the spec does not define for m.room.message)`);
    if (typeof c.msgtype !== 'string' || !MSGTYPES.has(c.msgtype)) return merr(400, 'M_BAD_JSON', `msgtype must be one of ${[...MSGTYPES].join(', ')}`);
    if (typeof c.body !== 'string') return merr(400, 'M_BAD_JSON', 'body must be a string');
    if (c.format !== undefined && c.format !== 'org.matrix.custom.html') return merr(400, 'M_BAD_JSON', 'format must be org.matrix.custom.html');
    if ((c.format === undefined) !== (c.formatted_body === undefined)) return merr(400, 'M_BAD_JSON', 'format and formatted_body go together');
    if (c.formatted_body !== undefined && typeof c.formatted_body !== 'string') return merr(400, 'M_BAD_JSON', 'formatted_body must be a string');
    const ev: MatrixEvent = { eventId: `$event${this.next++}:mastro.test`, roomId, txnId, content: c };
    this.byTxn.set(key, ev);
    this.events.push(ev);
    return { status: 200, body: { event_id: ev.eventId } };
  }

  serverError(status: number): StandinReply { return merr(status, 'M_UNKNOWN', 'Internal server error'); }
  rateLimited(retryAfterS: number): StandinReply {
    return merr(429, 'M_LIMIT_EXCEEDED', 'Too Many Requests', { retry_after_ms: retryAfterS * 1000 }, { 'retry-after': String(retryAfterS) });
  }
}

export async function startMatrixStandin(o: MatrixStandinOptions): Promise<{ server: Standin; matrix: MatrixSpec }> {
  const matrix = new MatrixSpec(o);
  return { server: await Standin.start(matrix, o.tls ? { tls: o.tls } : {}), matrix };
}
