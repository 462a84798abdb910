/**
 * Buildbot's default collapse rule (BuildRequest.canBeCollapsed) as a signature, so that a new
 * request finds the older ones it collapses through a map lookup instead of comparing itself with
 * every pending request: two requests collapse when, for the same set of codebases, repository,
 * branch and project match, neither has a patch, and either both carry changes or the revisions match.
 */
import type { SourceStampRow } from '../data/updates-api.js';

/** null when the request may never be collapsed (a patch). */
export function collapseSignature(sourcestamps: readonly SourceStampRow[], hasChanges: ReadonlySet<number>): string | null {
  const parts: string[] = [];
  for (const ss of [...sourcestamps].sort((a, b) => (a.codebase < b.codebase ? -1 : a.codebase > b.codebase ? 1 : 0))) {
    if (ss.patch) return null;
    const rev = hasChanges.has(ss.ssid) ? '\u0001changes' : `rev:${ss.revision ?? ''}`;
    parts.push(JSON.stringify([ss.codebase, ss.repository, ss.branch, ss.project, rev]));
  }
  return parts.join('|');
}
