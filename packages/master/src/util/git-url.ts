/**
 * Parses the repository URLs of sourcestamps into host, owner and repository name, as Buildbot's
 * `util/giturlparse.py` does, for the forge reporters (GitHub and GitLab statuses name a repository
 * as `owner/repo`; GitLab's owner may be a nested group `group/subgroup`). Accepted forms:
 *
 *   https://github.com/owner/repo(.git)      http://host:8080/group/sub/repo
 *   ssh://git@github.com/owner/repo.git      ssh://git@host:2222/owner/repo
 *   git@github.com:owner/repo.git            git://host/owner/repo
 *
 * Anything else (a local path, `file://`, a URL with no owner) gives null: it is not a forge
 * repository. Written without a backtracking regular expression: the URL comes from the network
 * (a webhook's payload).
 */

export interface GitUrl {
  /** `https`, `http`, `ssh` or `git` (the scp-like `git@host:path` form is `ssh`). */
  proto: string;
  /** Lower-case host name, without port. */
  host: string;
  port: number | null;
  /** Everything between the host and the repository name: `owner`, or `group/subgroup`. */
  owner: string;
  /** The repository name without `.git`. */
  repo: string;
}

const SCHEMES = new Set(['https', 'http', 'ssh', 'git']);

export function parseGitUrl(url: string): GitUrl | null {
  const text = url.trim();
  if (!text || text.length > 2048) return null;
  let proto: string;
  let authority: string;
  let path: string;
  const scheme = /^([a-z+]+):\/\//i.exec(text);
  if (scheme) {
    proto = scheme[1]!.toLowerCase().replace(/^git\+ssh$|^ssh\+git$/, 'ssh');
    if (!SCHEMES.has(proto)) return null;
    const rest = text.slice(scheme[0].length);
    const slash = rest.indexOf('/');
    if (slash < 0) return null;
    authority = rest.slice(0, slash);
    path = rest.slice(slash + 1);
  } else {
    // scp-like: [user@]host:path (no slash before the colon, and not a Windows drive letter)
    const colon = text.indexOf(':');
    if (colon <= 1 || text.slice(0, colon).includes('/')) return null;
    proto = 'ssh';
    authority = text.slice(0, colon);
    path = text.slice(colon + 1).replace(/^\/+/, '');
  }
  const at = authority.lastIndexOf('@');
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const portMatch = /^(.*):(\d+)$/.exec(hostPort);
  const host = (portMatch ? portMatch[1]! : hostPort).toLowerCase();
  if (!host || !/^[a-z0-9.-]+$|^\[[0-9a-f:.]+\]$/.test(host)) return null;
  const parts = path.split(/[?#]/, 1)[0]!.split('/').filter(Boolean);
  if (parts.length < 2) return null;
  const repo = parts.pop()!.replace(/\.git$/, '');
  if (!repo) return null;
  return { proto, host, port: portMatch ? Number(portMatch[2]) : null, owner: parts.join('/'), repo };
}

/** The host of an http(s) URL, lower-case, or null. */
export function urlHost(url: string): string | null {
  try { return new URL(url).hostname.toLowerCase() || null; } catch { return null; }
}
