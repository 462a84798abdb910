/**
 * `reporters.gitHubCommentPush({ token, baseURL, generators, ... })`: a comment on the pull request
 * a build is for (Buildbot's GitHubCommentPush), with the report's text as its body. The pull
 * request is found from the build's properties as the GitHub hook sets them (./github.ts); a
 * build of no pull request gets no comment (logged). By default one comment when the build ends:
 * its builder, number, result and link.
 *
 * GitHub has no idempotency key for comments: a delivery repeated after a crash (the comment
 * posted, the master killed before it marked the report delivered) posts the comment again.
 */
import type { IssueCollector } from '../model/config-errors.js';
import type { Obj } from '../model/config-checks.js';
import { ReporterBase, type Generator, type GeneratorSpec, type Report, type ReporterContext, type ReporterSpec } from './base.js';
import { checkGitHubOptions, gitHubPost, gitHubRepoOf, GITHUB_KEYS, pullRequestOf, repoPath, type GitHubOptions } from './github.js';
import type { ReporterKind } from './registry.js';
import type { CheckContext } from './generators/filters.js';

export interface GitHubCommentPushOptions extends GitHubOptions {
  generators?: GeneratorSpec[];
  name?: string;
  retryFor?: number;
  concurrency?: number;
}

export type GitHubCommentPushSpec = ReporterSpec & GitHubCommentPushOptions & { kind: 'gitHubCommentPush' };

/** GitHub's limit on a comment's body. */
export const GITHUB_COMMENT_MAX = 65536;
export const DEFAULT_COMMENT_TEMPLATE = 'Build %(kw:buildername)s #%(kw:number)s: %(kw:summary)s\n%(kw:build_url)s';

export class GitHubCommentPush extends ReporterBase<GitHubCommentPushSpec> {
  async send(report: Report, ctx: ReporterContext): Promise<void> {
    const build = report.builds[0];
    const text = typeof report.body === 'string' ? report.body.trim() : report.body ? JSON.stringify(report.body) : '';
    if (!build || !text) return;
    const issue = pullRequestOf(build);
    if (issue === null) {
      ctx.logger.info({ reporter: this.name, buildid: build.buildid }, `reporter ${this.name}: build ${build.buildid} is not for a pull request (no refs/pull/N branch, github.number or pullrequesturl property); no comment posted`);
      return;
    }
    const repos = new Map<string, { owner: string; repo: string }>();
    for (const ss of build.buildset?.sourcestamps ?? []) {
      const r = gitHubRepoOf(ss, this.spec);
      if (r) repos.set(`${r.owner}/${r.repo}`, r);
    }
    if (!repos.size) {
      ctx.logger.info({ reporter: this.name, buildid: build.buildid }, `reporter ${this.name}: build ${build.buildid} has no GitHub repository among its sourcestamps; no comment posted`);
      return;
    }
    const body = text.length > GITHUB_COMMENT_MAX ? `${text.slice(0, GITHUB_COMMENT_MAX - 40)}\n\n[cut: the whole text is too long for GitHub]` : text;
    for (const r of repos.values()) await gitHubPost(this.spec, `${repoPath(r)}/issues/${issue}/comments`, { body }, ctx);
  }
}

export const gitHubCommentPushKind: ReporterKind<GitHubCommentPushSpec> = {
  optionKeys: GITHUB_KEYS,
  // Buildbot's default says nothing at the start and 'Build done.' at the end; this one says what was done.
  defaultGenerators: () => [{ kind: 'buildStatus', mode: 'all', messageFormatter: { template: DEFAULT_COMMENT_TEMPLATE } }],
  check(c: IssueCollector, o: Obj, _ctx: CheckContext) { checkGitHubOptions(c, o); },
  create: (spec, generators: Generator[]) => new GitHubCommentPush(spec, 'gitHubCommentPush', generators),
};
