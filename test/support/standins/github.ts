/**
 * A stand-in for GitHub's REST API, the two calls the reporters make (docs.github.com/rest):
 * - `POST /repos/{owner}/{repo}/statuses/{sha}` (commit statuses: "Create a commit status"),
 * - `POST /repos/{owner}/{repo}/issues/{number}/comments` (a pull-request comment).
 * Also under `/api/v3` (GitHub Enterprise Server's base URL). It checks what GitHub checks
 * (a User-Agent, `Authorization: token X` or `Bearer X`, the repository, a full commit SHA, the
 * state list, the 140-character description limit) and answers with GitHub's error bodies and
 * rate-limit headers. Stricter than GitHub in two places, so a reporter's slip cannot pass
 * unnoticed: the `Accept: application/vnd.github+json` GitHub recommends is required, and a body
 * field GitHub does not document is refused (422) instead of ignored.
 */
import { Standin, isObject, segments, type ServiceSpec, type StandinReply, type StandinRequest } from './http-standin.js';

const DOCS = 'https://docs.github.com/rest';
export const GITHUB_STATES = ['error', 'failure', 'pending', 'success'] as const;
const STATUS_FIELDS = new Set(['state', 'target_url', 'description', 'context']);

export interface GitHubStandinOptions {
  /** The token the reporter must send. */
  token: string;
  /** Repositories that exist, as `owner/repo`. */
  repos: readonly string[];
  /** HTTPS instead of HTTP. */
  tls?: { cert: string; key: string };
}

export interface GitHubStatus { repo: string; sha: string; state: string; target_url?: string | null; description?: string | null; context: string }
export interface GitHubComment { repo: string; issue: number; body: string }

const err = (status: number, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): StandinReply =>
  ({ status, headers, body: { message, documentation_url: DOCS, status: String(status), ...extra } });

function invalid(field: string, message: string, code = 'custom'): StandinReply {
  return err(422, 'Validation Failed', { errors: [{ resource: 'Status', code, field, message }] });
}

export class GitHubSpec implements ServiceSpec {
  readonly name = 'GitHub';
  readonly statuses: GitHubStatus[] = [];
  readonly comments: GitHubComment[] = [];
  /** What `rateLimitNext` simulates: the hourly limit (403, remaining 0) or a secondary limit (403 + retry-after). */
  rateLimitKind: 'primary' | 'secondary' = 'secondary';
  private remaining = 5000;
  private nextId = 1;

  constructor(private readonly o: GitHubStandinOptions) {}

  private limitHeaders(): Record<string, string> {
    return { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': String(this.remaining), 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600), 'x-ratelimit-resource': 'core' };
  }

  handle(r: StandinRequest): StandinReply {
    const path = segments(r.rawPath);
    if (path[0] === 'api' && path[1] === 'v3') path.splice(0, 2);
    if (!r.headers['user-agent']) return err(403, 'Request forbidden by administrative rules. Please make sure your request has a User-Agent header.');
    const auth = /^(token|bearer) (\S+)$/i.exec(r.headers.authorization ?? '');
    if (!r.headers.authorization) return err(401, 'Requires authentication');
    if (!auth || auth[2] !== this.o.token) return err(401, 'Bad credentials');
    const accept = r.headers.accept ?? '';
    if (!/application\/vnd\.github(\.v3)?\+json/.test(accept)) return err(415, `Unsupported 'Accept' header: ${JSON.stringify(accept)}. Send 'Accept: application/vnd.github+json'.`);
    const isStatus = path[0] === 'repos' && path.length === 5 && path[3] === 'statuses';
    const isComment = path[0] === 'repos' && path.length === 6 && path[3] === 'issues' && path[5] === 'comments';
    if (!isStatus && !isComment) return err(404, 'Not Found');
    const repo = `${path[1]}/${path[2]}`;
    if (!this.o.repos.includes(repo)) return err(404, 'Not Found');
    if (r.method !== 'POST') return err(404, 'Not Found');
    if (r.json === undefined || !isObject(r.json)) return err(400, 'Problems parsing JSON');
    this.remaining = Math.max(0, this.remaining - 1);
    return isStatus ? this.status(repo, path[4]!, r.json) : this.comment(repo, path[4]!, r.json);
  }

  private status(repo: string, sha: string, b: Record<string, unknown>): StandinReply {
    if (!/^[0-9a-f]{40}$/.test(sha)) return err(422, `No commit found for SHA: ${sha}`);
    for (const k of Object.keys(b)) if (!STATUS_FIELDS.has(k)) return invalid(k, `${k} is not a field of a commit status (the stand-in refuses fields GitHub does not document)`, 'invalid');
    if (b.state === undefined) return invalid('state', 'state is missing', 'missing_field');
    if (typeof b.state !== 'string' || !(GITHUB_STATES as readonly string[]).includes(b.state)) return invalid('state', 'state is not included in the list');
    for (const k of ['target_url', 'description', 'context'] as const) {
      if (b[k] !== undefined && b[k] !== null && typeof b[k] !== 'string') return invalid(k, `${k} is not a string`, 'invalid');
    }
    if (typeof b.description === 'string' && b.description.length > 140) return invalid('description', 'description is too long (maximum is 140 characters)');
    if (typeof b.target_url === 'string' && b.target_url && !/^https?:\/\//.test(b.target_url)) return invalid('target_url', 'target_url must use http(s) scheme');
    const s: GitHubStatus = { repo, sha, state: b.state, context: typeof b.context === 'string' && b.context ? b.context : 'default' };
    if (b.target_url !== undefined) s.target_url = b.target_url as string | null;
    if (b.description !== undefined) s.description = b.description as string | null;
    this.statuses.push(s);
    const id = this.nextId++;
    const now = new Date().toISOString();
    return { status: 201, headers: { ...this.limitHeaders(), location: `/repos/${repo}/statuses/${sha}` }, body: {
      url: `/repos/${repo}/statuses/${sha}`, id, node_id: `SC_${id}`, state: s.state, description: s.description ?? null, target_url: s.target_url ?? null,
      context: s.context, created_at: now, updated_at: now, creator: { login: 'mastro-bot', id: 1, type: 'User' },
    } };
  }

  private comment(repo: string, issue: string, b: Record<string, unknown>): StandinReply {
    if (!/^[1-9]\d*$/.test(issue)) return err(404, 'Not Found');
    for (const k of Object.keys(b)) if (k !== 'body') return invalid(k, `${k} is not a field of an issue comment`, 'invalid');
    if (typeof b.body !== 'string' || b.body.length === 0) return invalid('body', 'body is missing', 'missing_field');
    if (b.body.length > 65536) return invalid('body', 'body is too long (maximum is 65536 characters)');
    this.comments.push({ repo, issue: Number(issue), body: b.body });
    const id = this.nextId++;
    return { status: 201, headers: this.limitHeaders(), body: { id, node_id: `IC_${id}`, url: `/repos/${repo}/issues/comments/${id}`, html_url: `https://github.example/${repo}/pull/${issue}#issuecomment-${id}`, body: b.body, user: { login: 'mastro-bot' } } };
  }

  serverError(status: number): StandinReply { return err(status, status === 502 ? 'Server Error' : 'Internal Server Error'); }

  rateLimited(retryAfterS: number): StandinReply {
    if (this.rateLimitKind === 'primary') {
      return err(403, 'API rate limit exceeded for user ID 1.', {}, { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + retryAfterS), 'x-ratelimit-resource': 'core' });
    }
    return err(403, 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', {}, { 'retry-after': String(retryAfterS) });
  }
}

export async function startGitHubStandin(o: GitHubStandinOptions): Promise<{ server: Standin; github: GitHubSpec }> {
  const github = new GitHubSpec(o);
  return { server: await Standin.start(github, o.tls ? { tls: o.tls } : {}), github };
}
