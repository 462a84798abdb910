/**
 * `reporters.gitLabStatusPush({ token, baseURL, context, generators, ... })`: commit statuses
 * through GitLab's REST API v4 (`POST /api/v4/projects/:id/statuses/:sha`, Buildbot's
 * GitLabStatusPush): `running` when a build starts, `success`/`failed`/`canceled` when it ends,
 * named by `context` (default `buildbot/%(prop:buildername)s`), with the build's page as the link.
 *
 * The project is the sourcestamp's repository path, URL-encoded (`group%2Fsub%2Fproject`: no
 * lookup of its id), on gitlab.com or the host of `baseURL`; a merge request's build uses the
 * `source_project_id` and `source_branch` properties the GitLab hook sets, as Buildbot does.
 *
 * GitLab refuses some transitions (the same unfinished state twice, `running` back to `pending`).
 * None is sent: a build ending RETRY sends nothing (its request runs again and the status stays
 * `running`), and a repeated delivery of a state the status already has (a master killed after
 * GitLab answered) is taken as delivered instead of failing for good.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { bool, type Obj } from '../model/config-checks.js';
import { Results } from '../model/results.js';
import { parseGitUrl, urlHost } from '../util/git-url.js';
import { ReporterBase, type Generator, type GeneratorSpec, type Report, type ReporterContext, type ReporterSpec } from './base.js';
import type { BuildDetails } from './build-details.js';
import { renderForBuild, type BuildTemplate } from './build-render.js';
import { checkContextOption, DEFAULT_STATUS_CONTEXT, statusDescription } from './commit-status.js';
import { checkHttpReporterOptions, HTTP_REPORTER_KEYS, httpTransport, httpTransportOptions, type HttpReporterOptions } from './http-options.js';
import { checkSecret, checkUrl, renderSecrets, type SecretOrString } from './options.js';
import type { ReporterKind } from './registry.js';
import type { CheckContext } from './generators/filters.js';
import { TransportError, TransportErrorCodes } from './transport/errors.js';

export const GITLAB_URL = 'https://gitlab.com';
/** GitLab keeps at most 255 characters of a status's description. */
export const GITLAB_DESCRIPTION_MAX = 255;

export interface GitLabStatusPushOptions extends HttpReporterOptions {
  /** A token with the `api` scope (sent as PRIVATE-TOKEN); util.secret('name') keeps it out of the config. Required. */
  token: SecretOrString;
  /** The GitLab instance. Default https://gitlab.com. */
  baseURL?: string;
  /** The status's name: a template with the build's properties. Default `buildbot/%(prop:buildername)s`. */
  context?: BuildTemplate;
  /** Accepted for Buildbot compatibility; no effect. */
  verbose?: boolean;
  debug?: boolean;
  generators?: GeneratorSpec[];
  name?: string;
  retryFor?: number;
  concurrency?: number;
}

export type GitLabStatusPushSpec = ReporterSpec & GitLabStatusPushOptions & { kind: 'gitLabStatusPush' };
export const GITLAB_STATUS_PUSH_KEYS = ['token', 'baseURL', 'context', ...HTTP_REPORTER_KEYS, 'verbose', 'debug'] as const;

type GitLabState = 'running' | 'success' | 'failed' | 'canceled';

/** Buildbot's result -> GitLab state; null for RETRY (nothing is sent: see the file header). */
export function gitLabState(build: Pick<BuildDetails, 'complete' | 'results'>): GitLabState | null {
  if (!build.complete) return 'running';
  switch (build.results) {
    case Results.SUCCESS: case Results.WARNINGS: case Results.SKIPPED: return 'success';
    case Results.CANCELLED: return 'canceled';
    case Results.RETRY: return null;
    default: return 'failed';
  }
}

/** GitLab's state-machine events, as its "Cannot transition status via :EVENT from :STATE" names them. */
const STATE_OF_EVENT: Record<string, string> = { enqueue: 'pending', run: 'running', success: 'success', drop: 'failed', cancel: 'canceled', skip: 'skipped' };

/** True when GitLab refused `state` because the status has it already (a repeated delivery). */
function alreadyInState(err: unknown, state: string): boolean {
  if (!(err instanceof TransportError) || err.status !== 400) return false;
  const m = /Cannot transition status via :(\w+) from :(\w+)/.exec(err.detail ?? err.message);
  return !!m && m[2] === state && STATE_OF_EVENT[m[1]!] === state;
}

export class GitLabStatusPush extends ReporterBase<GitLabStatusPushSpec> {
  private get base(): string { return (this.spec.baseURL ?? GITLAB_URL).replace(/\/+$/, ''); }

  /** The project id or URL-encoded path of a sourcestamp, or null when it is not on this GitLab. */
  projectOf(build: BuildDetails, repository: string | null): string | null {
    const id = build.properties?.source_project_id?.[0];
    if ((typeof id === 'number' && Number.isInteger(id)) || (typeof id === 'string' && /^\d+$/.test(id))) return String(id);
    const u = repository ? parseGitUrl(repository) : null;
    const hosts = new Set(['gitlab.com', urlHost(this.base) ?? '']);
    return u && hosts.has(u.host) ? encodeURIComponent(`${u.owner}/${u.repo}`) : null;
  }

  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const build = report.builds[0];
    if (!build) return;
    const state = gitLabState(build);
    if (state === null) {
      ctx.logger.info({ reporter: this.name, buildid: build.buildid }, `reporter ${this.name}: build ${build.buildid} ended RETRY; its request runs again, so the GitLab status stays running`);
      return;
    }
    const targets = (build.buildset?.sourcestamps ?? []).map((ss) => ({ ss, project: this.projectOf(build, ss.repository) })).filter((t) => t.project && t.ss.revision);
    if (!targets.length) {
      const repos = (build.buildset?.sourcestamps ?? []).map((ss) => ss.repository || '(none)').join(', ');
      ctx.logger.info({ reporter: this.name, buildid: build.buildid }, `reporter ${this.name}: build ${build.buildid} has no sourcestamp with a revision on ${this.base} (${repos}); no status sent`);
      return;
    }
    const token = String((await renderSecrets(this.spec.token, ctx)) ?? '');
    if (!token) throw new TransportError(TransportErrorCodes.CONFIG, `the GitLab token is empty: check the secret the reporter's token option names`, { target: this.base, retryable: false });
    const name = await renderForBuild(this.spec.context ?? DEFAULT_STATUS_CONTEXT, build, (n) => ctx.getSecret(n));
    const sourceBranch = build.properties?.source_branch?.[0];
    const description = statusDescription(report.body, GITLAB_DESCRIPTION_MAX);
    const { sendHttp } = await httpTransport();
    for (const { ss, project } of targets) {
      const ref = typeof sourceBranch === 'string' && sourceBranch ? sourceBranch : (ss.branch ?? '').replace(/^refs\/heads\//, '');
      const body = { state, name, target_url: build.url, ...(ref ? { ref } : {}), ...(description ? { description } : {}) };
      try {
        await sendHttp({
          method: 'POST', url: `${this.base}/api/v4/projects/${project}/statuses/${encodeURIComponent(ss.revision!)}`, body: JSON.stringify(body),
          headers: { 'private-token': token, 'content-type': 'application/json', 'user-agent': 'mastro' }, signal: ctx.signal, secrets: [token], ...httpTransportOptions(this.spec),
        });
      } catch (err) {
        if (!alreadyInState(err, state)) throw err;
        ctx.logger.info({ reporter: this.name, buildid: build.buildid }, `reporter ${this.name}: the GitLab status of ${ss.revision} is ${state} already (a repeated delivery); nothing to change`);
      }
    }
  }
}

export const gitLabStatusPushKind: ReporterKind<GitLabStatusPushSpec> = {
  optionKeys: GITLAB_STATUS_PUSH_KEYS,
  // Buildbot's defaults: 'Build started.' when it starts, 'Build done.' when it ends.
  defaultGenerators: () => [{ kind: 'buildStartEnd' }],
  check(c: IssueCollector, o: Obj, _ctx: CheckContext) {
    checkSecret(c, o, 'token', true);
    if (o.baseURL !== undefined) checkUrl(c, o, 'baseURL');
    checkContextOption(c, o);
    for (const k of ['verbose', 'debug']) if (o[k] !== undefined) bool(c, o, k, false);
    checkHttpReporterOptions(c, o);
  },
  create: (spec, generators: Generator[]) => new GitLabStatusPush(spec, 'gitLabStatusPush', generators),
};
