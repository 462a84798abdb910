/**
 * gitHubStatusPush against the GitHub stand-in (test/support/standins/github.ts, which checks the
 * documented request shape): pending at the start and the result at the end on each GitHub
 * sourcestamp's revision, the context rendered with the build's properties, the 140-character
 * description, GitHub Enterprise's /api/v3, and errors that say what to do without the token.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture } from './support/report-fixtures.js';
import { startGitHubStandin, type GitHubSpec, type Standin } from './support/standins/index.js';
import { assertIssues, reporterConfigIssues } from './support/reporter-config.js';
import { createReporter } from '../src/reporters/registry.js';
import { reporters, generators } from '../src/reporters/specs.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { Results } from '../src/model/results.js';
import { Secret } from '../src/process/renderables.js';
import { TransportError } from '../src/reporters/transport/errors.js';
import type { Reporter } from '../src/reporters/base.js';

const TOKEN = 'ghp_standinTokenXYZ123456';
const sha = (n: number) => n.toString(16).padStart(40, 'a');

describe('gitHubStatusPush', () => {
  let f: ReportFixture; let server: Standin; let github: GitHubSpec;
  before(async () => {
    f = await ReportFixture.open();
    ({ server, github } = await startGitHubStandin({ token: TOKEN, repos: ['o/r', 'corp/app'] }));
  });
  after(async () => { await server.close(); await f.close(); });
  const secrets = async (n: string) => (n === 'gh' ? TOKEN : undefined);
  const ctx = () => f.context({ getSecret: secrets });

  /** Sends the reports of a build's start and end through the reporter's (first) generator. */
  async function startAndEnd(r: Reporter, plan: Parameters<ReportFixture['build']>[0]): Promise<void> {
    const b = await f.startBuild(plan);
    const start = await r.generators[0]!.generate(ctx(), { id: 1, kind: ReportEvents.buildStarted, subjectId: b.buildid, payload: null });
    if (start) await r.send(start, ctx());
    await f.finishBuild(b, plan);
    const end = await r.generators[0]!.generate(ctx(), { id: 2, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null });
    if (end) await r.send(end, ctx());
  }

  test('a build gets pending when it starts and success when it ends, on its revision, with the context, link and description', async () => {
    const before = github.statuses.length;
    const r = createReporter(reporters.gitHubStatusPush({ token: Secret('gh'), baseURL: server.url }));
    await startAndEnd(r, { builder: 'linux', revision: sha(1), repository: 'https://github.com/o/r.git' });
    const got = github.statuses.slice(before);
    assert.deepEqual(got.map((s) => [s.repo, s.sha, s.state, s.context, s.description]), [
      ['o/r', sha(1), 'pending', 'buildbot/linux', 'Build started.'],
      ['o/r', sha(1), 'success', 'buildbot/linux', 'Build done.'],
    ]);
    assert.match(got[1]!.target_url!, /^http:\/\/ci\.example\.org\/#\/builders\/\d+\/builds\/1$/);
    const req = server.accepted.at(-1)!;
    assert.equal(req.headers.authorization, `token ${TOKEN}`);
    assert.equal(req.headers.accept, 'application/vnd.github+json');
  });

  test('failure and exception are failure and error; a context template reads the build properties', async () => {
    const before = github.statuses.length;
    const r = createReporter(reporters.gitHubStatusPush({ token: Secret('gh'), baseURL: server.url, context: 'ci/%(prop:buildername)s/%(prop:branch)s' }));
    await startAndEnd(r, { builder: 'mac', revision: sha(2), repository: 'git@github.com:o/r.git', results: Results.FAILURE, branch: 'dev' });
    await startAndEnd(r, { builder: 'mac', revision: sha(3), repository: 'ssh://git@github.com/o/r', results: Results.EXCEPTION, branch: 'dev' });
    assert.deepEqual(github.statuses.slice(before).map((s) => [s.sha, s.state, s.context]), [
      [sha(2), 'pending', 'ci/mac/dev'], [sha(2), 'failure', 'ci/mac/dev'],
      [sha(3), 'pending', 'ci/mac/dev'], [sha(3), 'error', 'ci/mac/dev'],
    ]);
  });

  test('a repository that is not on GitHub gets no status, and that is logged', async () => {
    const before = server.received.length;
    const logger = f.context().logger as ReturnType<ReportFixture['context']>['logger'] & { lines: Array<{ msg?: string }> };
    const r = createReporter(reporters.gitHubStatusPush({ token: Secret('gh'), baseURL: server.url }));
    const b = await f.build({ builder: 'other', revision: sha(4), repository: 'https://gitlab.com/o/r' });
    const report = await r.generators[0]!.generate(ctx(), { id: 3, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null });
    await r.send(report!, f.context({ getSecret: secrets, logger }));
    assert.equal(server.received.length, before, 'nothing was sent');
    assert.ok(logger.lines.some((l) => /no sourcestamp with a revision on a GitHub repository \(https:\/\/gitlab\.com\/o\/r\)/.test(l.msg ?? '')), JSON.stringify(logger.lines));
  });

  test('GitHub Enterprise: baseURL ending in /api/v3 is used, and repositories on its host are GitHub ones', async () => {
    const before = github.statuses.length;
    const url = new URL(server.url);
    const r = createReporter(reporters.gitHubStatusPush({ token: TOKEN, baseURL: `${server.url}/api/v3/` }));
    const b = await f.build({ builder: 'ghe', revision: sha(5), repository: `https://${url.hostname}/corp/app.git` });
    await r.send((await r.generators[0]!.generate(ctx(), { id: 4, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null }))!, ctx());
    assert.deepEqual(github.statuses.slice(before).map((s) => [s.repo, s.state]), [['corp/app', 'success']]);
    assert.match(server.accepted.at(-1)!.rawPath, /^\/api\/v3\/repos\/corp\/app\/statuses\//);
  });

  test('the description is the first line of a template, cut to GitHub\'s 140 characters', async () => {
    const before = github.statuses.length;
    const long = 'x'.repeat(300);
    const r = createReporter(reporters.gitHubStatusPush({ token: TOKEN, baseURL: server.url, generators: [generators.buildStartEnd({ endFormatter: { template: `\n${long}\nsecond line` } })] }));
    const b = await f.build({ builder: 'long', revision: sha(6) });
    await r.send((await r.generators[0]!.generate(ctx(), { id: 5, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null }))!, ctx());
    const [s] = github.statuses.slice(before);
    assert.equal([...s!.description!].length, 140);
    assert.ok(s!.description!.endsWith('…'));
  });

  test('a refused token is a permanent error naming what to do, an outage a retryable one; neither holds the token', async () => {
    const b = await f.build({ builder: 'err', revision: sha(7) });
    const good = createReporter(reporters.gitHubStatusPush({ token: Secret('gh'), baseURL: server.url }));
    const report = (await good.generators[0]!.generate(ctx(), { id: 6, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null }))!;
    const bad = createReporter(reporters.gitHubStatusPush({ token: 'wrong-token-abcdef', baseURL: server.url }));
    const refused = await bad.send(report, ctx()).then(() => null, (e) => e);
    assert.ok(refused instanceof TransportError && !refused.retryable, String(refused));
    assert.match(refused.message, /HTTP 401: Bad credentials; the credentials were refused/);
    assert.ok(!refused.message.includes('wrong-token-abcdef'));
    server.failNext(1, 502);
    const down = await good.send(report, ctx()).then(() => null, (e) => e);
    assert.ok(down instanceof TransportError && down.retryable, String(down));
    assert.ok(!down.message.includes(TOKEN) && !String(down.detail).includes(TOKEN));
  });

  test('config: the token is required and a broken context template is reported with its path', () => {
    const issues = reporterConfigIssues([
      reporters.gitHubStatusPush({} as never),
      reporters.gitHubStatusPush({ name: 'b', token: 't', context: 'ci/%(prop:x)', baseURL: 'ftp://x' }),
    ]);
    assertIssues(issues, [
      "reporters[0].token: is required (a string, or util.secret('name') to keep it out of the config)",
      "reporters[1].context: Interpolate(\"ci/%(prop:x)\"): missing conversion after '%(prop:x)' (add 's')",
      'reporters[1].baseURL: must use http:// or https://, got ftp:',
    ]);
  });
});
