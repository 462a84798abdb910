/**
 * Local stand-ins for the services that exist only on the internet (GitHub, GitLab, Gerrit REST,
 * Slack-compatible webhooks, Matrix), for the reporter tests. Each is a real HTTP(S) server on
 * loopback that checks method, path, headers, authentication and body against the service's
 * documented API, answers mistakes with that service's own error shape, records what it accepted
 * (`server.accepted`, and the service's own list: `github.statuses`, `gerrit.reviews`, …), and can
 * be told to fail (`server.failNext(n, 503)`), hang (`server.hang(true)`) or rate-limit
 * (`server.rateLimitNext(n, seconds)`, with the service's headers). Wait with `server.waitForAccepted(n)`.
 */
export { Standin, type Accepted, type Refused, type StandinReply, type StandinRequest, type ServiceSpec } from './http-standin.js';
export { startGitHubStandin, GitHubSpec, GITHUB_STATES, type GitHubStandinOptions, type GitHubStatus, type GitHubComment } from './github.js';
export { startGitLabStandin, GitLabSpec, GITLAB_STATES, type GitLabStandinOptions, type GitLabStatus, type GitLabProject } from './gitlab.js';
export { startGerritStandin, GerritSpec, XSSI_PREFIX, type GerritStandinOptions, type GerritReview, type GerritChange } from './gerrit.js';
export { startSlackStandin, SlackSpec, type SlackStandinOptions, type SlackMessage } from './slack.js';
export { startMatrixStandin, MatrixSpec, type MatrixStandinOptions, type MatrixEvent } from './matrix.js';
