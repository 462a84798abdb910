/**
 * What the two GitHub reporters share (Buildbot's GitHubStatusPush and its subclass
 * GitHubCommentPush, reporters/github.py): their options, which sourcestamps are GitHub
 * repositories, the pull request a build is for, and one authenticated REST call.
 *
 * - A sourcestamp's repository is a GitHub one when it is on github.com or on the host of
 *   `baseURL` (GitHub Enterprise Server: `https://ghe.example.org/api/v3`), in any of git's URL
 *   forms (util/git-url.ts); owner and repository come from its path. A sourcestamp without a
 *   repository URL falls back on a project named `owner/repo` (the GitHub hook sets one).
 * - The pull request: the `branch` property `refs/pull/<n>/merge` (or `/head`) the GitHub hook
 *   gives a pull request's change (Buildbot's `_extract_issue`), else a `github.number`
 *   property (the hook's propertyWhitelist), else the number at the end of `pullrequesturl`.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { bool, type Obj } from '../model/config-checks.js';
import type { SourceStampResource } from '../data/types.js';
import { parseGitUrl, urlHost } from '../util/git-url.js';
import type { BuildDetails } from './build-details.js';
import type { ReporterContext } from './base.js';
import { checkHttpReporterOptions, HTTP_REPORTER_KEYS, httpTransport, httpTransportOptions, type HttpReporterOptions } from './http-options.js';
import { checkSecret, checkUrl, renderSecrets, type SecretOrString } from './options.js';
import { TransportError, TransportErrorCodes } from './transport/errors.js';

export const GITHUB_API = 'https://api.github.com';
const GITHUB_HOSTS = ['github.com', 'www.github.com', 'ssh.github.com'];

export interface GitHubOptions extends HttpReporterOptions {
  /** A token allowed to write commit statuses (or comment on pull requests); util.secret('name') keeps it out of the config. Required. */
  token: SecretOrString;
  /** The API's base URL. Default https://api.github.com; GitHub Enterprise Server: `https://HOST/api/v3`. */
  baseURL?: string;
  /** Accepted for Buildbot compatibility; no effect (every failure is logged and shown on the Reporters page). */
  verbose?: boolean;
  debug?: boolean;
}

export const GITHUB_KEYS = ['token', 'baseURL', ...HTTP_REPORTER_KEYS, 'verbose', 'debug'] as const;

export function checkGitHubOptions(c: IssueCollector, o: Obj): void {
  checkSecret(c, o, 'token', true);
  if (o.baseURL !== undefined) checkUrl(c, o, 'baseURL');
  for (const k of ['verbose', 'debug']) if (o[k] !== undefined) bool(c, o, k, false);
  checkHttpReporterOptions(c, o);
}

export interface GitHubRepo { owner: string; repo: string }

export function apiBase(o: GitHubOptions): string {
  return (o.baseURL ?? GITHUB_API).replace(/\/+$/, '');
}

/** The GitHub repository of a sourcestamp, or null when it is not on GitHub (or this GitHub Enterprise). */
export function gitHubRepoOf(ss: Pick<SourceStampResource, 'repository' | 'project'>, o: GitHubOptions): GitHubRepo | null {
  const hosts = new Set(GITHUB_HOSTS);
  const api = urlHost(apiBase(o));
  if (api && api !== 'api.github.com') hosts.add(api);
  if (ss.repository) {
    const u = parseGitUrl(ss.repository);
    // GitHub repositories are exactly owner/repo: a deeper path is another forge (a GitLab subgroup).
    return u && hosts.has(u.host) && !u.owner.includes('/') ? { owner: u.owner, repo: u.repo } : null;
  }
  const m = /^([\w.-]+)\/([\w.-]+)$/.exec(ss.project ?? '');
  return m ? { owner: m[1]!, repo: m[2]! } : null;
}

/** The pull request number of a build, or null (see the file header). */
export function pullRequestOf(build: BuildDetails): number | null {
  const prop = (n: string) => build.properties?.[n]?.[0];
  const branch = prop('branch');
  const m = typeof branch === 'string' ? /^refs\/pull\/(\d+)\/(?:head|merge)$/.exec(branch) : null;
  if (m) return Number(m[1]);
  const n = prop('github.number');
  if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
  if (typeof n === 'string' && /^[1-9]\d*$/.test(n)) return Number(n);
  const url = prop('pullrequesturl');
  const u = typeof url === 'string' ? /\/pull\/(\d+)\/?$/.exec(url) : null;
  return u ? Number(u[1]) : null;
}

/** POSTs a JSON body to `path` of the API with the reporter's token; a TransportError when GitHub refuses. */
export async function gitHubPost(o: GitHubOptions, path: string, body: Record<string, unknown>, ctx: ReporterContext): Promise<void> {
  const token = String((await renderSecrets(o.token, ctx)) ?? '');
  if (!token) {
    throw new TransportError(TransportErrorCodes.CONFIG, 'the GitHub token is empty: check the secret the reporter\'s token option names', { target: `POST ${apiBase(o)}${path}`, retryable: false });
  }
  const { sendHttp } = await httpTransport();
  await sendHttp({
    method: 'POST', url: `${apiBase(o)}${path}`, body: JSON.stringify(body), signal: ctx.signal, secrets: [token],
    headers: { authorization: `token ${token}`, accept: 'application/vnd.github+json', 'user-agent': 'mastro', 'content-type': 'application/json', 'x-github-api-version': '2022-11-28' },
    ...httpTransportOptions(o),
  });
}

/** `/repos/{owner}/{repo}` with both parts encoded. */
export function repoPath(r: GitHubRepo): string {
  return `/repos/${encodeURIComponent(r.owner)}/${encodeURIComponent(r.repo)}`;
}
