/**
 * Reads the commits a ref update brought, as Buildbot's git poller does: the commits reachable from
 * the new head and from no head already known (so a new branch forked from a known one yields only
 * its own commits, and a force-push yields only the rewritten commits), oldest first, with author,
 * committer, comments, files and commit timestamp. One `git log` per moved branch.
 */
import { runGit, type GitRunOptions } from '../git-runner.js';

export interface CommitInfo {
  revision: string;
  author: string;
  committer: string;
  comments: string;
  files: string[];
  /** Commit (committer) time, epoch seconds, as Buildbot's poller uses. */
  when: number;
}

// Record separator, field separator and end-of-header markers: bytes that do not occur in names or messages.
const RS = '\x1e', FS = '\x1f', EOH = '\x1d';
const FORMAT = `--format=${RS}%H${FS}%aN <%aE>${FS}%cN <%cE>${FS}%ct${FS}%s%n%b${EOH}`;

/** Parses `git log -z --name-only` output made with FORMAT. */
export function parseLog(text: string): CommitInfo[] {
  const commits: CommitInfo[] = [];
  for (const record of text.split(RS)) {
    const end = record.indexOf(EOH);
    if (end < 0) continue;
    const [revision, author, committer, ct, comments] = record.slice(0, end).split(FS) as [string, string, string, string, string];
    const files = record.slice(end + 1).split('\0').map((f) => f.replace(/^\n/, '')).filter((f) => f.length > 0);
    commits.push({ revision, author, committer, comments: comments.trim(), files, when: Number(ct) });
  }
  return commits;
}

/**
 * New commits on `newSha` that no `knownHeads` reaches, oldest first. At most `limit` (the newest
 * ones) so a branch pushed with unrelated history cannot flood the build queue.
 */
export async function newCommits(newSha: string, knownHeads: Iterable<string>, limit: number, git: GitRunOptions): Promise<CommitInfo[]> {
  const exclude = [...new Set(knownHeads)].filter((h) => h !== newSha).sort().map((h) => `^${h}`);
  const out = await runGit(['log', '-z', '--name-only', '--ignore-missing', `--max-count=${limit}`, FORMAT, newSha, ...exclude, '--'], git);
  return parseLog(out).reverse();
}
