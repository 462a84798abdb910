/**
 * The `reporters` and `generators` namespaces of the config API (Buildbot's `reporters.*` and
 * `reporters.generators.*`, in lowerCamel). They only copy and brand their input: every check
 * happens at config load (config/normalise.ts through reporters/registry.ts), which reports all
 * mistakes with their paths. Types only are imported here: a config's `import 'mastro'` stays light.
 *
 *   reporters: [
 *     reporters.httpStatusPush({ url: 'https://ci-dashboard.example.org/hook', auth: { user: 'ci', password: util.secret('hook') } }),
 *     reporters.mailNotifier({ fromaddr: 'ci@example.org', lookup: 'example.org',
 *       generators: [generators.buildStatus({ mode: 'problem', addLogs: ['stdio'] }), generators.workerMissing()] }),
 *   ]
 */
import { brand } from '../model/config-brand.js';
import type { GeneratorSpec, ReporterSpec } from './base.js';
import type { HttpStatusPushOptions } from './http-status-push.js';
import type { MailNotifierOptions } from './mail-notifier.js';
import type { GitHubStatusPushOptions } from './github-status-push.js';
import type { GitHubCommentPushOptions } from './github-comment-push.js';
import type { GitLabStatusPushOptions } from './gitlab-status-push.js';
import type { GerritStatusPushOptions } from './gerrit-status-push.js';
import type { ChatWebhookOptions } from './chat-webhook.js';
import type { IrcOptions } from './irc.js';
import type { BuildStatusOptions } from './generators/build-status.js';
import type { BuildStartEndOptions } from './generators/build-start-end.js';
import type { BuildSetStatusOptions } from './generators/buildset-status.js';
import type { WorkerMissingOptions } from './generators/worker-missing.js';

function reporter<O extends object>(kind: string, options: O): ReporterSpec & O {
  return brand('reporter', { ...options, kind } as ReporterSpec & O);
}

function generator<O extends object>(kind: string, options: O): GeneratorSpec & O {
  return brand('generator', { ...options, kind } as GeneratorSpec & O);
}

export const reporters = {
  /** A JSON document per report POSTed to `url` (Buildbot's HttpStatusPush). */
  httpStatusPush: (options: HttpStatusPushOptions) => reporter('httpStatusPush', options),
  /** Mail through an SMTP relay (Buildbot's MailNotifier). */
  mailNotifier: (options: MailNotifierOptions) => reporter('mailNotifier', options),
  /** Commit statuses on GitHub (Buildbot's GitHubStatusPush). */
  gitHubStatusPush: (options: GitHubStatusPushOptions) => reporter('gitHubStatusPush', options),
  /** A comment on the build's pull request (Buildbot's GitHubCommentPush). */
  gitHubCommentPush: (options: GitHubCommentPushOptions) => reporter('gitHubCommentPush', options),
  /** Commit statuses on GitLab (Buildbot's GitLabStatusPush). */
  gitLabStatusPush: (options: GitLabStatusPushOptions) => reporter('gitLabStatusPush', options),
  /** The Verified vote on the Gerrit change, over SSH or REST (Buildbot's GerritStatusPush). */
  gerritStatusPush: (options: GerritStatusPushOptions) => reporter('gerritStatusPush', options),
  /** A chat message: a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat) or a Matrix room. */
  chatWebhook: (options: ChatWebhookOptions) => reporter('chatWebhook', options),
  /** An IRC bot that announces builds and takes commands (Buildbot's IRC). */
  irc: (options: IrcOptions) => reporter('irc', options),
} as const;

export const generators = {
  /** A report when a build finishes with a result `mode` selects (and, with reportNew, when it starts). */
  buildStatus: (options: BuildStatusOptions = {}) => generator('buildStatus', options),
  /** A report when a build starts and when it ends (commit statuses). */
  buildStartEnd: (options: BuildStartEndOptions = {}) => generator('buildStartEnd', options),
  /** One report per buildset when it completes, about its matching builds. */
  buildSetStatus: (options: BuildSetStatusOptions = {}) => generator('buildSetStatus', options),
  /** A report when a worker has been missing for its missingTimeout, to its notifyOnMissing addresses. */
  workerMissing: (options: WorkerMissingOptions = {}) => generator('workerMissing', options),
} as const;
