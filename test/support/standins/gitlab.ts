/**
 * A stand-in for GitLab's "Set the pipeline status of a commit" call (REST API v4, Commits API):
 * `POST /api/v4/projects/{id}/statuses/{sha}`, the project given by its number or its
 * URL-encoded path (`group%2Fproject`; an unencoded slash is another route and gets a 404, as on
 * GitLab), authenticated with `PRIVATE-TOKEN` (or `Authorization: Bearer`). Parameters come as JSON,
 * a form or the query string, as GitLab takes them. It keeps the state of each (sha, name, ref)
 * and refuses the transitions GitLab refuses (the same state twice, running back to pending) with
 * GitLab's "Cannot transition status" message, a known trap for status reporters. Stricter than
 * GitLab: a parameter it does not document is refused.
 */
import { Standin, isObject, segments, type ServiceSpec, type StandinReply, type StandinRequest } from './http-standin.js';

export const GITLAB_STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'] as const;
const FIELDS = new Set(['state', 'ref', 'name', 'context', 'target_url', 'description', 'coverage', 'pipeline_id']);
/** GitLab's state-machine event names, for its transition error text. */
const EVENT: Record<string, string> = { pending: 'enqueue', running: 'run', success: 'success', failed: 'drop', canceled: 'cancel', skipped: 'skip' };
const FINISHED = new Set(['success', 'failed', 'canceled', 'skipped']);

export interface GitLabProject { id: number; path: string }

export interface GitLabStandinOptions {
  token: string;
  projects: readonly GitLabProject[];
  tls?: { cert: string; key: string };
}

export interface GitLabStatus { project: number; sha: string; state: string; name: string; ref?: string; target_url?: string; description?: string }

export class GitLabSpec implements ServiceSpec {
  readonly name = 'GitLab';
  readonly statuses: GitLabStatus[] = [];
  private readonly current = new Map<string, string>();
  private nextId = 1;

  constructor(private readonly o: GitLabStandinOptions) {}

  handle(r: StandinRequest): StandinReply {
    const path = segments(r.rawPath);
    if (path[0] !== 'api' || path[1] !== 'v4' || path[2] !== 'projects' || path[4] !== 'statuses' || path.length !== 6) return { status: 404, body: { error: '404 Not Found' } };
    const token = r.headers['private-token'] ?? /^Bearer (\S+)$/i.exec(r.headers.authorization ?? '')?.[1];
    if (token !== this.o.token) return { status: 401, body: { message: '401 Unauthorized' } };
    if (r.method !== 'POST') return { status: 405, body: { error: '405 Not Allowed' } };
    const project = this.o.projects.find((p) => String(p.id) === path[3] || p.path === path[3]);
    if (!project) return { status: 404, body: { message: '404 Project Not Found' } };
    const sha = path[5]!;
    if (!/^[0-9a-f]{40}$/.test(sha)) return { status: 404, body: { message: '404 References for commit Not Found' } };

    const params = this.params(r);
    if ('error' in params) return { status: 400, body: { error: params.error } };
    for (const k of Object.keys(params)) if (!FIELDS.has(k)) return { status: 400, body: { error: `${k} does not have a valid value (the stand-in refuses parameters GitLab does not document)` } };
    const state = params.state;
    if (state === undefined) return { status: 400, body: { error: 'state is missing, state does not have a valid value' } };
    if (typeof state !== 'string' || !(GITLAB_STATES as readonly string[]).includes(state)) return { status: 400, body: { error: 'state does not have a valid value' } };
    for (const k of ['ref', 'name', 'context', 'target_url', 'description'] as const) {
      if (params[k] !== undefined && typeof params[k] !== 'string') return { status: 400, body: { error: `${k} is invalid` } };
    }
    if (typeof params.target_url === 'string' && !/^https?:\/\/\S+$/.test(params.target_url)) return { status: 400, body: { message: { target_url: ['is blocked: Only allowed schemes are http, https'] } } };
    const name = (params.name ?? params.context ?? 'default') as string;
    const key = JSON.stringify([project.id, sha, name, params.ref ?? null]);
    const was = this.current.get(key);
    if (was && !FINISHED.has(was) && (state === was || (was === 'running' && state === 'pending'))) {
      return { status: 400, body: { message: `Cannot transition status via :${EVENT[state]} from :${was} (Reason(s): Status cannot transition via "${EVENT[state]}".)` } };
    }
    this.current.set(key, state);
    const s: GitLabStatus = { project: project.id, sha, state, name };
    for (const k of ['ref', 'target_url', 'description'] as const) if (typeof params[k] === 'string') s[k] = params[k] as string;
    this.statuses.push(s);
    const now = new Date().toISOString();
    return { status: 201, body: {
      id: this.nextId++, sha, ref: s.ref ?? null, status: state, name, target_url: s.target_url ?? null, description: s.description ?? null,
      created_at: now, started_at: state === 'running' ? now : null, finished_at: FINISHED.has(state) ? now : null, allow_failure: false, coverage: null,
      author: { id: 1, username: 'mastro-bot' },
    } };
  }

  /** JSON body, form body or query string, as GitLab's API takes any of them. */
  private params(r: StandinRequest): Record<string, unknown> | { error: string } {
    const out: Record<string, unknown> = Object.fromEntries(r.query);
    const type = r.headers['content-type'] ?? '';
    if (r.text) {
      if (type.startsWith('application/json')) {
        if (!isObject(r.json)) return { error: 'The provided content-type \'application/json\' did not match the body (not a JSON object)' };
        Object.assign(out, r.json);
      } else if (type.startsWith('application/x-www-form-urlencoded')) Object.assign(out, Object.fromEntries(new URLSearchParams(r.text)));
      else return { error: `unsupported content type ${JSON.stringify(type)}: send application/json or a form` };
    }
    return out;
  }

  serverError(status: number): StandinReply { return { status, body: { message: `${status} Internal Server Error` } }; }

  rateLimited(retryAfterS: number): StandinReply {
    const reset = Math.floor(Date.now() / 1000) + retryAfterS;
    return { status: 429, body: 'Retry later\n', headers: {
      'retry-after': String(retryAfterS), 'ratelimit-limit': '600', 'ratelimit-observed': '601', 'ratelimit-remaining': '0',
      'ratelimit-reset': String(reset), 'ratelimit-resettime': new Date(reset * 1000).toUTCString(), 'ratelimit-name': 'throttle_authenticated_api',
    } };
  }
}

export async function startGitLabStandin(o: GitLabStandinOptions): Promise<{ server: Standin; gitlab: GitLabSpec }> {
  const gitlab = new GitLabSpec(o);
  return { server: await Standin.start(gitlab, o.tls ? { tls: o.tls } : {}), gitlab };
}
