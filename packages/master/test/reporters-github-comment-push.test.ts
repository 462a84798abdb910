/**
 * gitHubCommentPush against the GitHub stand-in: a comment on the pull request a build is for,
 * found from the properties the GitHub hook sets (branch refs/pull/N/merge, github.number,
 * pullrequesturl); no comment for a build of no pull request.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture } from './support/report-fixtures.js';
import { startGitHubStandin, type GitHubSpec, type Standin } from './support/standins/index.js';
import { createReporter } from '../src/reporters/registry.js';
import { reporters } from '../src/reporters/specs.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { Results } from '../src/model/results.js';
import { pullRequestOf } from '../src/reporters/github.js';
import type { BuildDetails } from '../src/reporters/build-details.js';

const TOKEN = 'ghp_commentToken987654321';

describe('gitHubCommentPush', () => {
  let f: ReportFixture; let server: Standin; let github: GitHubSpec;
  before(async () => {
    f = await ReportFixture.open();
    ({ server, github } = await startGitHubStandin({ token: TOKEN, repos: ['o/r'] }));
  });
  after(async () => { await server.close(); await f.close(); });

  test("a pull request's build result is commented on that pull request, and only when the build ends", async () => {
    const r = createReporter(reporters.gitHubCommentPush({ token: TOKEN, baseURL: server.url }));
    assert.deepEqual(r.generators[0]!.wantedEvents, [ReportEvents.buildFinished], 'nothing is said when the build starts');
    const b = await f.build({ builder: 'pr', branch: 'refs/pull/17/merge', results: Results.FAILURE, steps: [{ name: 'test', results: Results.FAILURE }] });
    const report = await r.generators[0]!.generate(f.context(), { id: 1, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null });
    await r.send(report!, f.context());
    assert.equal(github.comments.length, 1);
    const [c] = github.comments;
    assert.equal(c!.repo, 'o/r');
    assert.equal(c!.issue, 17);
    assert.match(c!.body, /^Build pr #1: BUILD FAILED: failed shell\nhttp:\/\/ci\.example\.org\/#\/builders\/\d+\/builds\/1$/);
  });

  test('a build of no pull request gets no comment', async () => {
    const before = server.received.length;
    const r = createReporter(reporters.gitHubCommentPush({ token: TOKEN, baseURL: server.url }));
    const b = await f.build({ builder: 'main', branch: 'main' });
    const report = await r.generators[0]!.generate(f.context(), { id: 2, kind: ReportEvents.buildFinished, subjectId: b.buildid, payload: null });
    await r.send(report!, f.context());
    assert.equal(server.received.length, before);
  });

  test('the pull request comes from the branch, else github.number, else pullrequesturl', () => {
    const build = (props: Record<string, unknown>) => ({ properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [k, [v, 'Change']])) }) as unknown as BuildDetails;
    assert.equal(pullRequestOf(build({ branch: 'refs/pull/5/head' })), 5);
    assert.equal(pullRequestOf(build({ branch: 'feature', 'github.number': 9 })), 9);
    assert.equal(pullRequestOf(build({ branch: 'feature', pullrequesturl: 'https://github.com/o/r/pull/12' })), 12);
    assert.equal(pullRequestOf(build({ branch: 'refs/pull/x/merge' })), null);
  });
});
