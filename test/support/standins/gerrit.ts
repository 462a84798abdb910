/**
 * A stand-in for Gerrit's REST call that posts a review (Gerrit REST API, "Set Review"):
 * `POST /a/changes/{change-id}/revisions/{revision-id}/review` with HTTP Basic authentication
 * (the user's HTTP password; `/a/` is the authenticated prefix), `Content-Type: application/json`,
 * a ReviewInput body (`message`, `labels`, `tag`, `notify`, …), answered as Gerrit answers: JSON
 * behind the `)]}'` line that guards against XSSI, errors as plain text. The change may be named
 * by number, `project~number`, `project~branch~Change-Id` or Change-Id, the revision by
 * `current`, patch-set number or (a prefix of) the commit SHA. Votes outside a label's range and
 * labels the project does not have are refused. Stricter than Gerrit: undocumented fields are
 * refused instead of ignored.
 */
import { Standin, isObject, segments, type ServiceSpec, type StandinReply, type StandinRequest } from './http-standin.js';

export const XSSI_PREFIX = ")]}'\n";
const REVIEW_FIELDS = new Set(['message', 'labels', 'tag', 'notify', 'notify_details', 'comments', 'robot_comments', 'drafts', 'draft_ids_to_publish',
  'omit_duplicate_comments', 'on_behalf_of', 'reviewers', 'ready', 'work_in_progress', 'add_to_attention_set', 'remove_from_attention_set', 'ignore_automatic_attention_set_rules']);
const NOTIFY = new Set(['NONE', 'OWNER', 'OWNER_REVIEWERS', 'ALL']);

export interface GerritChange {
  number: number;
  project: string;
  branch: string;
  changeId: string;
  /** Commit SHA of each patch set, patch set 1 first. */
  patchSets: readonly string[];
}

export interface GerritStandinOptions {
  user: string;
  httpPassword: string;
  changes: readonly GerritChange[];
  /** Labels and their allowed vote range. @default { Verified: [-1, 1], 'Code-Review': [-2, 2] } */
  labels?: Readonly<Record<string, readonly [number, number]>>;
  tls?: { cert: string; key: string };
}

export interface GerritReview { change: number; patchSet: number; message?: string; labels: Record<string, number>; tag?: string; user: string }

const text = (status: number, body: string, headers: Record<string, string> = {}): StandinReply => ({ status, body: `${body}\n`, headers });

export class GerritSpec implements ServiceSpec {
  readonly name = 'Gerrit';
  readonly reviews: GerritReview[] = [];
  private readonly labels: Readonly<Record<string, readonly [number, number]>>;

  constructor(private readonly o: GerritStandinOptions) {
    this.labels = o.labels ?? { Verified: [-1, 1], 'Code-Review': [-2, 2] };
  }

  handle(r: StandinRequest): StandinReply {
    const path = segments(r.rawPath);
    const authed = path[0] === 'a';
    if (authed) path.shift();
    if (path[0] !== 'changes' || path[2] !== 'revisions' || path[4] !== 'review' || path.length !== 5) return text(404, 'Not Found');
    if (!authed) return text(403, 'Authentication required');
    const basic = /^Basic (\S+)$/i.exec(r.headers.authorization ?? '');
    const [user, pass] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(/:(.*)/s) : [];
    if (user !== this.o.user || pass !== this.o.httpPassword) return text(401, 'Unauthorized', { 'www-authenticate': 'Basic realm="Gerrit Code Review"' });
    if (r.method !== 'POST') return text(405, 'Method Not Allowed');
    if (!(r.headers['content-type'] ?? '').startsWith('application/json')) return text(415, 'Unsupported Media Type: Expected Content-Type: application/json');

    const change = this.findChange(path[1]!);
    if (!change) return text(404, `Not found: ${path[1]}`);
    const patchSet = this.findPatchSet(change, path[3]!);
    if (!patchSet) return text(404, `Not found: ${path[3]}`);
    if (!isObject(r.json)) return text(400, 'Invalid JSON: expected a ReviewInput object');
    const b = r.json;
    for (const k of Object.keys(b)) if (!REVIEW_FIELDS.has(k)) return text(400, `Invalid ReviewInput: unknown field "${k}" (the stand-in refuses fields Gerrit does not document)`);
    if (b.message !== undefined && typeof b.message !== 'string') return text(400, 'Invalid ReviewInput: message must be a string');
    if (b.tag !== undefined && typeof b.tag !== 'string') return text(400, 'Invalid ReviewInput: tag must be a string');
    if (b.notify !== undefined && (typeof b.notify !== 'string' || !NOTIFY.has(b.notify))) return text(400, `Invalid ReviewInput: notify must be one of ${[...NOTIFY].join(', ')}`);
    const labels: Record<string, number> = {};
    if (b.labels !== undefined) {
      if (!isObject(b.labels)) return text(400, 'Invalid ReviewInput: labels must be an object of label name to vote');
      for (const [name, v] of Object.entries(b.labels)) {
        const range = this.labels[name];
        if (!range) return text(400, `label "${name}" is not a configured label`);
        const vote = typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number(v) : v;
        if (typeof vote !== 'number' || !Number.isInteger(vote)) return text(400, `label "${name}": ${JSON.stringify(v)} is not an integer vote`);
        if (vote < range[0] || vote > range[1]) return text(400, `label "${name}": ${vote} is not a permitted value (${range[0]}..+${range[1]})`);
        labels[name] = vote;
      }
    }
    const review: GerritReview = { change: change.number, patchSet, labels, user };
    if (typeof b.message === 'string') review.message = b.message;
    if (typeof b.tag === 'string') review.tag = b.tag;
    this.reviews.push(review);
    return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: `${XSSI_PREFIX}${JSON.stringify({ labels })}\n` };
  }

  private findChange(id: string): GerritChange | undefined {
    const parts = id.split('~');
    return this.o.changes.find((c) => {
      if (parts.length === 1) return String(c.number) === id || c.changeId === id;
      if (parts.length === 2) return c.project === parts[0] && String(c.number) === parts[1];
      return c.project === parts[0] && (c.branch === parts[1] || `refs/heads/${c.branch}` === parts[1]) && c.changeId === parts[2];
    });
  }

  /** The patch-set number a revision id names, or undefined. */
  private findPatchSet(c: GerritChange, rev: string): number | undefined {
    if (rev === 'current') return c.patchSets.length;
    if (/^\d+$/.test(rev)) { const n = Number(rev); return n >= 1 && n <= c.patchSets.length ? n : undefined; }
    if (/^[0-9a-f]{4,40}$/.test(rev)) {
      const hits = c.patchSets.map((sha, i) => (sha.startsWith(rev) ? i + 1 : 0)).filter(Boolean);
      return hits.length === 1 ? hits[0] : undefined;
    }
    return undefined;
  }

  serverError(status: number): StandinReply { return text(status, 'Internal server error'); }
  rateLimited(retryAfterS: number): StandinReply { return text(429, 'Too Many Requests', { 'retry-after': String(retryAfterS) }); }
}

export async function startGerritStandin(o: GerritStandinOptions): Promise<{ server: Standin; gerrit: GerritSpec }> {
  const gerrit = new GerritSpec(o);
  return { server: await Standin.start(gerrit, o.tls ? { tls: o.tls } : {}), gerrit };
}
