/**
 * `reporters.gitHubStatusPush({ token, baseURL, context, generators, ... })`: a commit status on
 * the revision of each sourcestamp whose repository is on GitHub (Buildbot's GitHubStatusPush):
 * `pending` when the build starts, `success`/`failure`/`error` when it ends (buildStartEnd, the
 * default generator), with the build's page as the link and the report's text ('Build started.',
 * 'Build done.', or a template's first line, at most 140 characters: GitHub's limit) as the
 * description. `context` names the status (default Buildbot's `buildbot/%(prop:buildername)s`).
 *
 * Order: the outbox delivers one builder's reports one at a time, oldest first, and keeps a report
 * at the head while it is retried: a `success` never lands before its own `pending`. Statuses are
 * idempotent on GitHub (the latest of a context wins), so a repeated delivery is harmless.
 */
import type { IssueCollector } from '../model/config-errors.js';
import type { Obj } from '../model/config-checks.js';
import { Results } from '../model/results.js';
import { ReporterBase, type Generator, type GeneratorSpec, type Report, type ReporterContext, type ReporterSpec } from './base.js';
import type { BuildDetails } from './build-details.js';
import { renderForBuild, type BuildTemplate } from './build-render.js';
import { checkContextOption, DEFAULT_STATUS_CONTEXT, statusDescription } from './commit-status.js';
import { checkGitHubOptions, gitHubPost, gitHubRepoOf, GITHUB_KEYS, repoPath, type GitHubOptions } from './github.js';
import type { ReporterKind } from './registry.js';
import type { CheckContext } from './generators/filters.js';

export interface GitHubStatusPushOptions extends GitHubOptions {
  /** The status's name on GitHub: a template with the build's properties. Default `buildbot/%(prop:buildername)s`. */
  context?: BuildTemplate;
  generators?: GeneratorSpec[];
  name?: string;
  retryFor?: number;
  concurrency?: number;
}

export type GitHubStatusPushSpec = ReporterSpec & GitHubStatusPushOptions & { kind: 'gitHubStatusPush' };

export const GITHUB_DESCRIPTION_MAX = 140;
export const GITHUB_STATUS_PUSH_KEYS = [...GITHUB_KEYS, 'context'] as const;

/** Buildbot's result -> GitHub state. */
export function gitHubState(build: Pick<BuildDetails, 'complete' | 'results'>): 'pending' | 'success' | 'failure' | 'error' {
  if (!build.complete) return 'pending';
  switch (build.results) {
    case Results.SUCCESS: case Results.WARNINGS: case Results.SKIPPED: return 'success';
    case Results.FAILURE: return 'failure';
    case Results.RETRY: return 'pending';
    default: return 'error';
  }
}

export class GitHubStatusPush extends ReporterBase<GitHubStatusPushSpec> {
  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const build = report.builds[0];
    if (!build) return;
    const targets = (build.buildset?.sourcestamps ?? []).map((ss) => ({ ss, repo: gitHubRepoOf(ss, this.spec) }));
    const onGitHub = targets.filter((t) => t.repo && t.ss.revision);
    if (!onGitHub.length) {
      const repos = targets.map((t) => t.ss.repository || t.ss.project || '(none)').join(', ');
      ctx.logger.info({ reporter: this.name, buildid: build.buildid }, `reporter ${this.name}: build ${build.buildid} has no sourcestamp with a revision on a GitHub repository (${repos}); no status sent`);
      return;
    }
    const body: Record<string, unknown> = {
      state: gitHubState(build),
      context: await renderForBuild(this.spec.context ?? DEFAULT_STATUS_CONTEXT, build, (n) => ctx.getSecret(n)),
      target_url: build.url,
    };
    const description = statusDescription(report.body, GITHUB_DESCRIPTION_MAX);
    if (description) body.description = description;
    for (const { ss, repo } of onGitHub) await gitHubPost(this.spec, `${repoPath(repo!)}/statuses/${encodeURIComponent(ss.revision!)}`, body, ctx);
  }
}

export const gitHubStatusPushKind: ReporterKind<GitHubStatusPushSpec> = {
  optionKeys: GITHUB_STATUS_PUSH_KEYS,
  // Buildbot's defaults: 'Build started.' when it starts, 'Build done.' when it ends.
  defaultGenerators: () => [{ kind: 'buildStartEnd' }],
  check(c: IssueCollector, o: Obj, _ctx: CheckContext) {
    checkGitHubOptions(c, o);
    checkContextOption(c, o);
  },
  create: (spec, generators: Generator[]) => new GitHubStatusPush(spec, 'gitHubStatusPush', generators),
};
