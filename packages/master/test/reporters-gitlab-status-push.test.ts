/**
 * gitLabStatusPush against the GitLab stand-in (test/support/standins/gitlab.ts), which checks the
 * documented call and refuses the transitions GitLab refuses: running at the start and the result
 * at the end, the project by its URL-encoded path (subgroups too) or a merge request's
 * source_project_id, no illegal transition through a RETRY or a repeated delivery.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ReportFixture, type BuildPlan } from './support/report-fixtures.js';
import { startGitLabStandin, type GitLabSpec, type Standin } from './support/standins/index.js';
import { createReporter } from '../src/reporters/registry.js';
import { reporters } from '../src/reporters/specs.js';
import { ReportEvents } from '../src/data/report-outbox.js';
import { Results } from '../src/model/results.js';
import { Secret } from '../src/process/renderables.js';
import { TransportError } from '../src/reporters/transport/errors.js';
import type { Reporter } from '../src/reporters/base.js';

const TOKEN = 'glpat-standinToken-0001';
const sha = (n: number) => n.toString(16).padStart(40, 'b');

describe('gitLabStatusPush', () => {
  let f: ReportFixture; let server: Standin; let gitlab: GitLabSpec; let r: Reporter;
  before(async () => {
    f = await ReportFixture.open();
    ({ server, gitlab } = await startGitLabStandin({ token: TOKEN, projects: [{ id: 7, path: 'team/app' }, { id: 8, path: 'grp/sub/lib' }, { id: 9, path: 'fork/app' }] }));
    r = createReporter(reporters.gitLabStatusPush({ token: Secret('gl'), baseURL: server.url }));
  });
  after(async () => { await server.close(); await f.close(); });
  const ctx = () => f.context({ getSecret: async (n) => (n === 'gl' ? TOKEN : undefined) });
  let ids = 0;

  async function report(buildid: number, kind: string): Promise<void> {
    const rep = await r.generators[0]!.generate(ctx(), { id: ++ids, kind: kind as never, subjectId: buildid, payload: null });
    if (rep) await r.send(rep, ctx());
  }
  async function startAndEnd(plan: BuildPlan, extraProps?: Record<string, [unknown, string]>): Promise<number> {
    const b = await f.startBuild(plan);
    if (extraProps) await f.data.updates.setBuildProperties(b.buildid, extraProps);
    await report(b.buildid, ReportEvents.buildStarted);
    await f.finishBuild(b, plan);
    await report(b.buildid, ReportEvents.buildFinished);
    return b.buildid;
  }
  const since = (n: number) => gitlab.statuses.slice(n).map((s) => [s.project, s.sha, s.state, s.name, s.ref]);

  test('a build is running when it starts and success when it ends, on the project named by its encoded path', async () => {
    const n = gitlab.statuses.length;
    await startAndEnd({ builder: 'linux', revision: sha(1), repository: 'https://gitlab.example/team/app.git' });
    assert.deepEqual(since(n), [], 'a repository on another host than baseURL\'s is not this GitLab');
    await startAndEnd({ builder: 'linux', revision: sha(2), repository: `${server.url}/team/app.git` });
    assert.deepEqual(since(n), [[7, sha(2), 'running', 'buildbot/linux', 'main'], [7, sha(2), 'success', 'buildbot/linux', 'main']]);
    const req = server.accepted.at(-1)!;
    assert.match(req.rawPath, /^\/api\/v4\/projects\/team%2Fapp\/statuses\/b+2$/);
    assert.equal(req.headers['private-token'], TOKEN);
    assert.match((req.json as { target_url: string }).target_url, /^http:\/\/ci\.example\.org\/#\/builders\/\d+\/builds\/\d+$/);
  });

  test('failure and exception are failed, cancelled is canceled; a subgroup path is one encoded segment', async () => {
    const n = gitlab.statuses.length;
    const repo = `${server.url.replace('http://', 'ssh://git@')}/grp/sub/lib.git`;
    await startAndEnd({ builder: 'b', revision: sha(3), repository: repo, results: Results.FAILURE });
    await startAndEnd({ builder: 'b', revision: sha(4), repository: repo, results: Results.EXCEPTION });
    await startAndEnd({ builder: 'b', revision: sha(5), repository: repo, results: Results.CANCELLED });
    assert.deepEqual(since(n).map((s) => [s[0], s[2]]), [[8, 'running'], [8, 'failed'], [8, 'running'], [8, 'failed'], [8, 'running'], [8, 'canceled']]);
    assert.equal(server.refused.length, 0, server.refused.map((x) => x.text).join('\n'));
  });

  test('a build ending RETRY sends nothing, and its rerun\'s running is no illegal transition', async () => {
    const n = gitlab.statuses.length;
    const plan = { builder: 'retry', revision: sha(6), repository: `${server.url}/team/app` };
    await startAndEnd({ ...plan, results: Results.RETRY });
    await startAndEnd(plan);
    assert.deepEqual(since(n).map((s) => s[2]), ['running', 'success']);
  });

  test('a repeated delivery of a state GitLab has already is taken as delivered; another refusal is a permanent error', async () => {
    const b = await f.startBuild({ builder: 'again', revision: sha(7), repository: `${server.url}/team/app` });
    await report(b.buildid, ReportEvents.buildStarted);
    const refusedBefore = server.refused.length;
    await report(b.buildid, ReportEvents.buildStarted);
    assert.equal(server.refused.length, refusedBefore + 1, 'GitLab refused the second running…');
    assert.match(server.refused.at(-1)!.text + JSON.stringify(server.refused.at(-1)!.reply.body), /Cannot transition status via :run from :running/);
    const bad = createReporter(reporters.gitLabStatusPush({ token: 'glpat-wrong-token-xyz', baseURL: server.url }));
    const rep = await bad.generators[0]!.generate(ctx(), { id: ++ids, kind: ReportEvents.buildStarted, subjectId: b.buildid, payload: null });
    const err = await bad.send(rep!, ctx()).then(() => null, (e) => e);
    assert.ok(err instanceof TransportError && !err.retryable && err.status === 401, String(err));
    assert.ok(!err.message.includes('glpat-wrong-token-xyz'));
  });

  test("a merge request's build reports on source_project_id at source_branch", async () => {
    const n = gitlab.statuses.length;
    await startAndEnd({ builder: 'mr', revision: sha(8), repository: `${server.url}/team/app`, branch: 'main' }, { source_project_id: [9, 'Change'], source_branch: ['feature/x', 'Change'] });
    assert.deepEqual(since(n).map((s) => [s[0], s[2], s[4]]), [[9, 'running', 'feature/x'], [9, 'success', 'feature/x']]);
  });
});
