/**
 * Finds the repositories to mirror: an explicit list, a glob over a directory of bare
 * repositories, or a forge's API (GitHub organisation, GitLab group, Gitea organisation), following
 * the API's pagination (the `Link: <...>; rel="next"` header all three send).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ForgeDiscovery, MirrorRepositorySpec } from './options.js';
import { redactUrl } from '../redact.js';
import { authorizationHeader, extraHeaderConfig } from '../git-credentials.js';
import { compileWildcard } from '../../model/glob-match.js';

export interface MirrorRepository {
  name: string;
  url: string;
  revlink?: string;
  /** Extra git config (e.g. an http.extraHeader with the forge token) for fetches of this repository. */
  gitConfig?: Record<string, string>;
}

/** Safety bound on a forge listing (pages * page size). */
export const MAX_DISCOVERED = 10000;

export function nameFromUrl(url: string): string {
  const trimmed = url.replace(/[\\/]+$/, '');
  const last = trimmed.split(/[\\/:]/).pop() ?? trimmed;
  return last.replace(/\.git$/, '') || 'repo';
}

export function explicitRepositories(list: ReadonlyArray<string | MirrorRepositorySpec>): MirrorRepository[] {
  return list.map((r) => (typeof r === 'string' ? { url: r, name: nameFromUrl(r) } : { ...r, name: r.name ?? nameFromUrl(r.url) }));
}

/** Bare repositories (directories with a HEAD file) matching a glob in its last path segment. */
export async function globRepositories(glob: string, baseDir: string): Promise<MirrorRepository[]> {
  const abs = isAbsolute(glob) ? glob : resolve(baseDir, glob);
  const dir = dirname(abs);
  if (/[*?]/.test(dir)) throw new Error(`mirrorPoller.glob: wildcards are allowed only in the last path segment, got ${glob}`);
  const matches = compileWildcard(basename(abs), 'slash');
  const names = (await readdir(dir)).filter(matches).sort();
  const out: MirrorRepository[] = [];
  for (const n of names) {
    const path = join(dir, n);
    const isRepo = await stat(join(path, 'HEAD')).then((s) => s.isFile(), () => false);
    if (isRepo) out.push({ name: nameFromUrl(n), url: path });
  }
  return out;
}

/** The `rel="next"` URL of an RFC 8288 Link header. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;(.*)/.exec(part.trim());
    if (m && /\brel="?([^";]*\s)?next(\s[^";]*)?"?/.test(m[2]!)) return m[1]!;
  }
  return null;
}

interface ForgeRepo { fullName: string; httpsUrl: string; sshUrl: string; webUrl?: string; archived: boolean; fork: boolean }

function githubRepo(r: any): ForgeRepo {
  return { fullName: r.full_name, httpsUrl: r.clone_url, sshUrl: r.ssh_url, webUrl: r.html_url, archived: !!r.archived || !!r.disabled, fork: !!r.fork };
}
function gitlabRepo(r: any): ForgeRepo {
  return { fullName: r.path_with_namespace, httpsUrl: r.http_url_to_repo, sshUrl: r.ssh_url_to_repo, webUrl: r.web_url, archived: !!r.archived, fork: !!r.forked_from_project };
}
function giteaRepo(r: any): ForgeRepo {
  return { fullName: r.full_name, httpsUrl: r.clone_url, sshUrl: r.ssh_url, webUrl: r.html_url, archived: !!r.archived, fork: !!r.fork };
}

function forgeRequest(f: ForgeDiscovery): { url: string; headers: Record<string, string>; map: (r: any) => ForgeRepo; pageSize: number } {
  const owner = encodeURIComponent(f.owner);
  const headers: Record<string, string> = { 'user-agent': 'mastro-mirror-poller', accept: 'application/json' };
  switch (f.type) {
    case 'github': {
      const api = (f.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
      headers.accept = 'application/vnd.github+json';
      if (f.token) headers.authorization = `Bearer ${f.token}`;
      return { url: `${api}/orgs/${owner}/repos?per_page=100&type=all`, headers, map: githubRepo, pageSize: 100 };
    }
    case 'gitlab': {
      const api = (f.apiUrl ?? 'https://gitlab.com').replace(/\/+$/, '');
      if (f.token) headers['private-token'] = f.token;
      return { url: `${api}/api/v4/groups/${owner}/projects?per_page=100&include_subgroups=true&order_by=id&sort=asc`, headers, map: gitlabRepo, pageSize: 100 };
    }
    case 'gitea': {
      const api = f.apiUrl!.replace(/\/+$/, '');
      if (f.token) headers.authorization = `token ${f.token}`;
      return { url: `${api}/api/v1/orgs/${owner}/repos?limit=50&page=1`, headers, map: giteaRepo, pageSize: 50 };
    }
  }
}

/** The git config that sends the token on https fetches from the forge's host only. */
function tokenGitConfig(f: ForgeDiscovery, cloneUrl: string): Record<string, string> | undefined {
  if (!f.token || (f.cloneProtocol ?? 'https') !== 'https') return undefined;
  let origin: string;
  try { origin = new URL(cloneUrl).origin; } catch { return undefined; }
  const username = f.type === 'github' ? 'x-access-token' : 'oauth2';
  return extraHeaderConfig(origin, authorizationHeader(f.token, { auth: 'basic', username }));
}

export async function forgeRepositories(f: ForgeDiscovery, fetchImpl: typeof fetch = fetch): Promise<MirrorRepository[]> {
  const req = forgeRequest(f);
  const found: ForgeRepo[] = [];
  let url: string | null = req.url;
  let page = 1;
  while (url) {
    const res = await fetchImpl(url, { headers: req.headers, signal: AbortSignal.timeout(60_000) });
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 300);
      throw new Error(`${f.type} API ${redactUrl(url)} answered ${res.status}${body ? `: ${body}` : ''}${res.status === 401 || res.status === 403 ? ' (check forge.token and its scopes)' : ''}${res.status === 404 ? ` (check forge.owner ${JSON.stringify(f.owner)} and forge.apiUrl)` : ''}`);
    }
    const items = (await res.json()) as unknown;
    if (!Array.isArray(items)) throw new Error(`${f.type} API ${redactUrl(url)} did not answer a list of repositories`);
    found.push(...items.map(req.map));
    if (found.length > MAX_DISCOVERED) throw new Error(`${f.type} API listed more than ${MAX_DISCOVERED} repositories; narrow it with forge.filter`);
    url = nextLink(res.headers.get('link'));
    // Old Gitea versions send no Link header: a full page means there may be another.
    if (!url && f.type === 'gitea' && items.length === req.pageSize) {
      page += 1;
      url = req.url.replace(/page=\d+$/, `page=${page}`);
    }
  }
  const keep = f.filter instanceof RegExp ? (n: string) => (f.filter as RegExp).test(n) : f.filter ?? (() => true);
  return found
    .filter((r) => (f.includeArchived || !r.archived) && (f.includeForks ?? true ? true : !r.fork) && keep(r.fullName))
    .map((r) => {
      const url = (f.cloneProtocol ?? 'https') === 'ssh' ? r.sshUrl : r.httpsUrl;
      const revlink = r.webUrl ? `${r.webUrl}/${f.type === 'gitlab' ? '-/commit' : 'commit'}/{rev}` : undefined;
      return { name: r.fullName, url, revlink, gitConfig: tokenGitConfig(f, url) };
    });
}
