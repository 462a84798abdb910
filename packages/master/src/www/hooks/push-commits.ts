/**
 * What GitHub and GitLab push payloads share: the pushed `ref` names a branch or a tag, and each
 * entry of `commits` has the same shape (id, message, timestamp, url, author, added/modified/removed).
 * Each dialect adds its own fields (committer, repository, project, category, properties).
 */
import type { AddChangeInput } from '../../data/updates-api.js';
import { epochSeconds } from './dialect.js';

export interface PushedRef {
  kind: 'heads' | 'tags';
  /** The branch or tag name, without `refs/heads/` or `refs/tags/`. */
  name: string;
}

/** The branch or tag `refs/heads/<name>` or `refs/tags/<name>` names, or why the push is ignored. */
export function pushedRef(ref: string): PushedRef | string {
  const m = /^refs\/(heads|tags)\/(.+)$/.exec(ref);
  if (!m) return `ref ${ref} is not a branch or tag; ignored`;
  return { kind: m[1] as PushedRef['kind'], name: m[2]! };
}

/** The Change fields one pushed commit gives, on `branch`. */
export function pushedCommitFields(c: any, branch: string): Pick<AddChangeInput, 'author' | 'files' | 'comments' | 'revision' | 'when_timestamp' | 'branch' | 'revlink'> {
  return {
    author: `${c.author?.name} <${c.author?.email}>`,
    files: [...(c.added ?? []), ...(c.modified ?? []), ...(c.removed ?? [])],
    comments: c.message ?? '',
    revision: c.id,
    when_timestamp: epochSeconds(c.timestamp),
    branch,
    revlink: c.url ?? null,
  };
}
