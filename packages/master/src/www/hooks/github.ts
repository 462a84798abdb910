/**
 * The `github` change-hook dialect, with Buildbot's field mapping: `push` (one Change per commit,
 * or the head commit for a new branch; category 'tag' for tags; properties `github_distinct` and
 * `event`), `pull_request` opened/synchronize/reopened (branch `refs/pull/<n>/merge`, category
 * 'pull', properties `pullrequesturl`, `event`, `basename`), `ping`. With a secret, every request
 * must carry a matching `X-Hub-Signature-256` (or only a matching SHA-1 `X-Hub-Signature`, as Buildbot 3.7 checks).
 * Signed deliveries are de-duplicated by the digest of their body (the delivery-id header is not
 * signed), unsigned ones by `X-GitHub-Delivery`.
 */
import type { AddChangeInput } from '../../data/updates-api.js';
import { bodyDigestKey, epochSeconds, extractProperties, header, newReplayGuard, parsePayload, DEFAULT_HOOK_BODY_LIMIT, type ChangeHookDialect, type CommonHookOptions, type HookRequest, type HookVerdict } from './dialect.js';
import { pushedCommitFields, pushedRef } from './push-commits.js';
import { verifyHubSignature1, verifyHubSignature256 } from './signature.js';

export interface GithubHookOptions extends CommonHookOptions {
  /** Webhook secret; when set, requests without a valid X-Hub-Signature-256 (or, alone, X-Hub-Signature sha1) get 403. */
  secret?: string;
  /** Refuse unsigned requests even without a secret configured (Buildbot's `strict`). Default false. */
  strict?: boolean;
  /** Codebase of the Changes: a string, or a function of the payload. */
  codebase?: string | ((payload: any) => string);
  /** Commit-message patterns that skip a push. Default Buildbot's `[skip ci]` / `[ci skip]`. */
  skips?: Array<string | RegExp>;
  /** Which pull-request ref to build: 'merge' (default) or 'head'. */
  pullrequestRef?: 'merge' | 'head';
  /** Payload values copied into properties (`github.*` names, glob patterns), as Buildbot's github_property_whitelist. Default none. */
  propertyWhitelist?: string[];
}

const DEFAULT_SKIPS = [/\[ *skip *ci *\]/, /\[ *ci *skip *\]/];
const PR_ACTIONS = new Set(['opened', 'reopened', 'synchronize']);

export function createGithubHook(o: GithubHookOptions = {}): ChangeHookDialect {
  if (o.strict && !o.secret) throw new Error('changeHooks.github: strict needs a secret');
  const skips = (o.skips ?? DEFAULT_SKIPS).map((s) => (typeof s === 'string' ? new RegExp(s) : s));
  const whitelist = o.propertyWhitelist ?? [];
  const codebaseOf = (payload: any): { codebase?: string } => {
    if (typeof o.codebase === 'function') return { codebase: o.codebase(payload) };
    return o.codebase !== undefined ? { codebase: o.codebase } : {};
  };
  const skipped = (msg: unknown) => typeof msg === 'string' && skips.some((r) => r.test(msg));

  function push(payload: any, event: string): AddChangeInput[] | string {
    const ref = pushedRef(payload.ref ?? '');
    if (typeof ref === 'string') return ref;
    if (payload.deleted) return `${ref.kind === 'tags' ? 'tag' : 'branch'} ${ref.name} deleted; ignored`;
    if (skipped(payload.head_commit?.message)) return 'head commit message asks to skip CI; ignored';
    const commits: any[] = payload.created && payload.head_commit ? [payload.head_commit] : payload.commits ?? [];
    const props = extractProperties(payload, 'github', whitelist);
    return commits.map((c) => ({
      ...pushedCommitFields(c, ref.name),
      committer: `${c.committer?.name} <${c.committer?.email}>`,
      repository: payload.repository?.html_url ?? '',
      project: payload.repository?.full_name ?? '',
      category: ref.kind === 'tags' ? 'tag' : null,
      properties: { github_distinct: c.distinct ?? true, event, ...props },
      src: 'git',
      ...codebaseOf(payload),
    }));
  }

  function pullRequest(payload: any, event: string): AddChangeInput[] | string {
    const pr = payload.pull_request;
    const action = payload.action;
    if (!pr) return 'pull_request event without pull_request; ignored';
    if (!PR_ACTIONS.has(action)) return `pull request #${payload.number} ${action}; ignored (only opened, reopened and synchronize build)`;
    const n = payload.number ?? pr.number;
    const commits = pr.commits ?? 0;
    return [{
      revision: pr.head?.sha,
      when_timestamp: epochSeconds(pr.created_at),
      branch: `refs/pull/${n}/${o.pullrequestRef ?? 'merge'}`,
      files: [],
      revlink: pr._links?.html?.href ?? pr.html_url ?? null,
      repository: payload.repository?.html_url ?? '',
      project: pr.base?.repo?.full_name ?? payload.repository?.full_name ?? '',
      category: 'pull',
      author: payload.sender?.login ?? pr.user?.login ?? 'unknown',
      comments: `GitHub Pull Request #${n} (${commits} commit${commits === 1 ? '' : 's'})\n${pr.title ?? ''}\n${pr.body ?? ''}`,
      properties: { pullrequesturl: pr._links?.html?.href ?? pr.html_url, event, basename: pr.base?.ref, ...extractProperties(pr, 'github', whitelist) },
      src: 'git',
      ...codebaseOf(payload),
    }];
  }

  return {
    name: 'github',
    bodyLimit: o.bodyLimit ?? DEFAULT_HOOK_BODY_LIMIT,
    replayGuard: newReplayGuard('github', o),
    replay: o.replay,
    read(req: HookRequest): HookVerdict {
      const sig = header(req, 'x-hub-signature-256');
      const sha1 = header(req, 'x-hub-signature');
      if (o.secret) {
        // SHA-256 when sent (GitHub sends both); SHA-1 alone from senders written for Buildbot 3.7.
        const check = sig === undefined && sha1 !== undefined ? verifyHubSignature1(o.secret, req.body, sha1) : verifyHubSignature256(o.secret, req.body, sig);
        if (!check.ok) return { kind: 'rejected', status: 403, message: check.reason };
      } else if (o.strict) {
        return { kind: 'rejected', status: 403, message: 'unsigned request refused (strict)' };
      }
      const event = header(req, 'x-github-event');
      if (!event) return { kind: 'rejected', status: 400, message: 'missing X-GitHub-Event header; is this a GitHub webhook?' };
      const deliveryId = header(req, 'x-github-delivery') ?? null;
      // A signed body is one delivery whatever X-GitHub-Delivery says (the header is not signed:
      // a replay could carry a new one, or none). Unsigned deliveries can only go by the header.
      const replayKey = o.secret ? bodyDigestKey(req.body) : deliveryId;
      const parsed = parsePayload(req);
      if (!parsed.ok) return { kind: 'rejected', status: 400, message: parsed.message };
      if (event === 'ping') return { kind: 'ignored', message: `pong (hook ${parsed.payload?.hook_id ?? '?'})`, deliveryId, replayKey };
      const result = event === 'push' ? push(parsed.payload, event) : event === 'pull_request' ? pullRequest(parsed.payload, event) : `event ${event} is not handled; ignored`;
      if (typeof result === 'string') return { kind: 'ignored', message: result, deliveryId, replayKey };
      return { kind: 'changes', changes: result, deliveryId, replayKey };
    },
  };
}
