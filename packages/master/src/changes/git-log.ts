/**
 * One `git log` call describes many commits: each record starts with NUL, header fields are split
 * by US (0x1f), the message ends with RS (0x1e), and `--name-only` lists the files after it.
 */
export const COMMIT_LOG_FORMAT = '%x00%H%x1f%aN <%aE>%x1f%cN <%cE>%x1f%ct%x1f%B%x1e';

export interface CommitInfo {
  revision: string; author: string; committer: string; timestamp: number; comments: string; files: string[];
}

export function parseCommitLog(out: string): CommitInfo[] {
  const commits: CommitInfo[] = [];
  for (const record of out.split('\0')) {
    if (!record.trim()) continue;
    const end = record.indexOf('\x1e');
    const header = end >= 0 ? record.slice(0, end) : record;
    const [revision, author, committer, ts, ...msg] = header.split('\x1f');
    const files = (end >= 0 ? record.slice(end + 1) : '').split('\n').map((f) => f.trim()).filter(Boolean);
    commits.push({
      revision: revision!.trim(), author: author ?? '', committer: committer ?? '', timestamp: Number(ts),
      comments: msg.join('\x1f').replace(/\n+$/, ''), files,
    });
  }
  return commits;
}
