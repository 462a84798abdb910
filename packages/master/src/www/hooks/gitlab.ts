/**
 * The `gitlab` change-hook dialect, with Buildbot's field mapping: `push` and `tag_push` (one Change
 * per distinct commit, category = the event, property `event`) and `merge_request` opened, reopened
 * or updated with new commits (branch = target branch, source/target properties). With a secret,
 * `X-Gitlab-Token` must match. Deliveries are de-duplicated by `X-Gitlab-Event-UUID` (or
 * `Idempotency-Key`). The `codebase` query parameter sets the codebase, as in Buildbot.
 */
import type { AddChangeInput } from '../../data/updates-api.js';
import { epochSeconds, header, newReplayGuard, parsePayload, DEFAULT_HOOK_BODY_LIMIT, type ChangeHookDialect, type CommonHookOptions, type HookRequest, type HookVerdict } from './dialect.js';
import { pushedCommitFields, pushedRef } from './push-commits.js';
import { verifyToken } from './signature.js';

export interface GitlabHookOptions extends CommonHookOptions {
  /** Secret token; when set, requests without a matching X-Gitlab-Token get 403. */
  secret?: string;
}

const ZERO = /^0+$/;

function push(payload: any, event: string, codebase: string | undefined): AddChangeInput[] | string {
  const ref = pushedRef(payload.ref ?? '');
  if (typeof ref === 'string') return ref;
  if (payload.deleted || (typeof payload.after === 'string' && ZERO.test(payload.after))) return `${ref.name} deleted; ignored`;
  const changes: AddChangeInput[] = [];
  for (const c of payload.commits ?? []) {
    if (c.distinct === false) continue;
    changes.push({
      ...pushedCommitFields(c, ref.name),
      repository: payload.repository?.url ?? payload.project?.git_ssh_url ?? '',
      project: payload.repository?.name ?? payload.project?.name ?? '',
      category: event,
      properties: { event },
      src: 'git',
      ...(codebase !== undefined ? { codebase } : {}),
    });
  }
  return changes;
}

function mergeRequest(payload: any, event: string, codebase: string | undefined): AddChangeInput[] | string {
  const a = payload.object_attributes;
  if (!a) return 'merge_request event without object_attributes; ignored';
  if (/^(closed|merged|approved)$/.test(a.state)) return `MR!${a.iid} is ${a.state}; ignored`;
  const action = a.action;
  if (!(action === 'open' || action === 'reopen' || (action === 'update' && 'oldrev' in a))) {
    return `MR!${a.iid} action ${action} adds no code; ignored`;
  }
  const c = a.last_commit ?? {};
  return [{
    author: `${c.author?.name} <${c.author?.email}>`,
    files: [],
    comments: `MR#${a.iid}: ${a.title ?? ''}\n\n${a.description ?? ''}`,
    revision: c.id,
    when_timestamp: epochSeconds(c.timestamp),
    branch: a.target_branch,
    repository: a.target?.git_http_url ?? '',
    project: a.target?.name ?? '',
    category: event,
    revlink: a.url ?? null,
    properties: {
      source_branch: a.source_branch, source_project_id: a.source_project_id,
      source_repository: a.source?.git_http_url, source_git_ssh_url: a.source?.git_ssh_url,
      target_branch: a.target_branch, target_project_id: a.target_project_id,
      target_repository: a.target?.git_http_url, target_git_ssh_url: a.target?.git_ssh_url,
      event,
    },
    src: 'git',
    ...(codebase !== undefined ? { codebase } : {}),
  }];
}

export function createGitlabHook(o: GitlabHookOptions = {}): ChangeHookDialect {
  return {
    name: 'gitlab',
    bodyLimit: o.bodyLimit ?? DEFAULT_HOOK_BODY_LIMIT,
    replayGuard: newReplayGuard('gitlab', o),
    replay: o.replay,
    read(req: HookRequest): HookVerdict {
      if (o.secret) {
        const check = verifyToken(o.secret, header(req, 'x-gitlab-token'), 'X-Gitlab-Token');
        if (!check.ok) return { kind: 'rejected', status: 403, message: check.reason };
      }
      const parsed = parsePayload(req);
      if (!parsed.ok) return { kind: 'rejected', status: 400, message: parsed.message };
      const payload = parsed.payload;
      // Newer GitLab versions name the event in the payload; older ones only in X-Gitlab-Event.
      const event: string | undefined = payload?.object_kind ?? header(req, 'x-gitlab-event');
      if (!event) return { kind: 'rejected', status: 400, message: 'no object_kind in the payload and no X-Gitlab-Event header; is this a GitLab webhook?' };
      const deliveryId = header(req, 'x-gitlab-event-uuid') ?? header(req, 'idempotency-key') ?? null;
      const codebase = req.query.codebase;
      let result: AddChangeInput[] | string;
      if (event === 'push' || event === 'tag_push' || event === 'Push Hook') result = push(payload, event, codebase);
      else if (event === 'merge_request') result = mergeRequest(payload, event, codebase);
      else result = `event ${event} is not handled; ignored`;
      if (typeof result === 'string') return { kind: 'ignored', message: result, deliveryId };
      return { kind: 'changes', changes: result, deliveryId };
    },
  };
}
