/**
 * GitHub and GitLab webhooks on a real master with a real worker and real git repositories. The
 * payloads are the documented shapes (packages/master/test/fixtures/hooks) with the repository,
 * refs and commit ids replaced by those of a local repository, so the builds check out what the
 * webhook names:
 *  - GitHub push and pull_request (refs/pull/<n>/merge exists in the repository, as on GitHub),
 *    signed with X-Hub-Signature-256; a bad or missing signature gets 403 and records nothing;
 *  - GitLab push and merge_request with X-Gitlab-Token; a wrong token gets 403 and records nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, type MasterProcess } from './support/master-harness.js';
import {
  buildsetCount, changeCount, checkoutBuilder, commitFiles, finishedBuilds, fixture, hubSignature, initRepo, postJson,
} from './support/change-e2e.js';

const GH_SECRET = 'gh-webhook-secret';
const GL_TOKEN = 'gl-webhook-token';

describe('GitHub and GitLab webhooks on a real master', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let ghRepo: string;
  let glRepo: string;
  let http: number;

  before(async () => {
    env = new TestEnv();
    ghRepo = initRepo(env, 'gh');
    glRepo = initRepo(env, 'gl');
    commitFiles(env, ghRepo, { 'check.sh': 'echo github v1\n' }, 'gh first');
    commitFiles(env, glRepo, { 'check.sh': 'echo gitlab v1\n' }, 'gl first');
    env.writeConfig({ ghSecret: GH_SECRET, glToken: GL_TOKEN, ghRepo, glRepo }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: { port: 0, changeHooks: { github: { secret: v.ghSecret }, gitlab: { secret: v.glToken } } },
      workers: [m.worker('w0', 'pass', { maxBuilds: 2 })],
      schedulers: [
        m.schedulers.anyBranch({ name: 'github', builderNames: ['gh'], changeFilter: { project: 'octo/hello' } }),
        m.schedulers.anyBranch({ name: 'gitlab', builderNames: ['gl'], changeFilter: { project: 'gl-hello' } }),
      ],
      builders: [
        checkoutBuilder(m, 'gh', v.ghRepo),
        checkoutBuilder(m, 'gl', v.glRepo),
      ],
    }), { checkoutBuilder });
    master = await env.startMaster();
    http = master.ready.httpPort!;
    env.startWorker('w0', master.ready.workerPort);
  });

  after(() => env.cleanup());

  /** The recorded GitHub push payload, rewritten to name commits of the local repository. */
  function githubPush(ref: string, before: string, commits: Array<{ id: string; message: string; files: string[] }>): any {
    const p = fixture('github-push');
    const template = p.commits[0];
    p.ref = ref; p.before = before; p.after = commits.at(-1)!.id; p.created = false; p.deleted = false;
    p.repository = { ...p.repository, full_name: 'octo/hello', html_url: ghRepo };
    p.commits = commits.map((c) => ({ ...template, id: c.id, tree_id: c.id, message: c.message, added: [], removed: [], modified: c.files, distinct: true }));
    p.head_commit = p.commits.at(-1);
    return p;
  }

  const signed = (body: string, delivery: string, event = 'push') => ({
    'x-github-event': event, 'x-github-delivery': delivery, 'x-hub-signature-256': hubSignature(GH_SECRET, body),
  });

  it('builds each commit of a signed GitHub push at its revision on its branch', async () => {
    const base = env.git(ghRepo, 'rev-parse', 'HEAD');
    const c1 = commitFiles(env, ghRepo, { 'check.sh': 'echo github v2\n' }, 'gh second');
    const c2 = commitFiles(env, ghRepo, { 'check.sh': 'test "$(cat check.sh | wc -l)" = 1 && echo github v3\n' }, 'gh third');
    const body = JSON.stringify(githubPush('refs/heads/main', base, [{ id: c1, message: 'gh second', files: ['check.sh'] }, { id: c2, message: 'gh third', files: ['check.sh'] }]));
    const res = await postJson(http, 'github', body, signed(body, 'delivery-push-1'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const builds = await finishedBuilds(master, 'gh', 2);
    assert.deepEqual(builds.map((b) => [b.results, b.branch, b.revision, b.gotRevision]), [[0, 'main', c1, c1], [0, 'main', c2, c2]], master.output.slice(-4000));
    const changes = await master.get(['changes']);
    assert.deepEqual(changes.filter((c) => c.revision === c2).map((c) => [c.repository, c.project, c.files]), [[ghRepo, 'octo/hello', ['check.sh']]]);
  });

  it('builds a pull request at its head revision through refs/pull/<n>/merge', async () => {
    env.git(ghRepo, 'checkout', '-q', '-b', 'feature');
    const head = commitFiles(env, ghRepo, { 'check.sh': 'echo pull request head\n' }, 'pr work');
    env.git(ghRepo, 'checkout', '-q', 'main');
    // GitHub keeps the pull request under refs/pull/<n>/{head,merge}; the merge ref is what gets built.
    env.git(ghRepo, 'update-ref', 'refs/pull/7/head', head);
    env.git(ghRepo, 'update-ref', 'refs/pull/7/merge', head);
    const p = fixture('github-pull-request-opened');
    p.number = 7; p.pull_request.number = 7; p.pull_request.head.sha = head; p.pull_request.base.ref = 'main';
    p.pull_request.base.repo = { ...p.pull_request.base.repo, full_name: 'octo/hello' };
    p.repository = { ...p.repository, full_name: 'octo/hello', html_url: ghRepo };
    const body = JSON.stringify(p);
    const before = (await finishedBuilds(master, 'gh', 2)).length;
    const res = await postJson(http, 'github', body, signed(body, 'delivery-pr-1', 'pull_request'));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const builds = await finishedBuilds(master, 'gh', before + 1);
    const pr = builds[before]!;
    assert.deepEqual([pr.results, pr.branch, pr.revision, pr.gotRevision], [0, 'refs/pull/7/merge', head, head]);
    assert.equal(pr.properties.basename?.[0], 'main');
    assert.equal(pr.properties.event?.[0], 'pull_request');
  });

  it('refuses a bad or missing GitHub signature with 403 and records no change and no build', async () => {
    const c = commitFiles(env, ghRepo, { 'check.sh': 'echo built only once signed\n' }, 'unsigned');
    const body = JSON.stringify(githubPush('refs/heads/main', c, [{ id: c, message: 'unsigned', files: ['check.sh'] }]));
    const changesBefore = await changeCount(master);
    const setsBefore = await buildsetCount(master);
    const buildsBefore = (await finishedBuilds(master, 'gh', 0)).length;
    const bad = await postJson(http, 'github', body, { 'x-github-event': 'push', 'x-github-delivery': 'bad-1', 'x-hub-signature-256': hubSignature('not-the-secret', body) });
    assert.equal(bad.status, 403);
    const tampered = await postJson(http, 'github', body.replace('unsigned', 'tampered'), signed(body, 'bad-2'));
    assert.equal(tampered.status, 403, 'a signature of another body does not pass');
    const missing = await postJson(http, 'github', body, { 'x-github-event': 'push', 'x-github-delivery': 'bad-3' });
    assert.equal(missing.status, 403, 'an unsigned request is refused when a secret is configured');
    assert.equal(await changeCount(master), changesBefore, 'no change was recorded');
    // A delivery that is accepted afterwards makes exactly one buildset: nothing was queued before it.
    const ok = await postJson(http, 'github', body, signed(body, 'good-after-bad'));
    assert.equal(ok.status, 200);
    // The scheduler makes the buildset after the hook answered: wait for its build, then count.
    await finishedBuilds(master, 'gh', buildsBefore + 1);
    assert.equal(await buildsetCount(master), setsBefore + 1);
    const replay = await postJson(http, 'github', body, signed(body, 'good-after-bad'));
    assert.equal(replay.status, 200);
    assert.equal(await changeCount(master), changesBefore + 1, 'a replayed delivery id records nothing');
  });

  it('builds a GitLab push and a merge request sent with X-Gitlab-Token, and refuses a wrong token', async () => {
    const base = env.git(glRepo, 'rev-parse', 'HEAD');
    const c1 = commitFiles(env, glRepo, { 'check.sh': 'echo gitlab v2\n' }, 'gl second');
    const push = fixture('gitlab-push');
    const template = push.commits[0];
    push.before = base; push.after = c1; push.checkout_sha = c1; push.ref = 'refs/heads/main';
    push.repository = { ...push.repository, name: 'gl-hello', url: glRepo };
    push.commits = [{ ...template, id: c1, message: 'gl second', added: [], removed: [], modified: ['check.sh'] }];
    push.total_commits_count = 1;
    const pushBody = JSON.stringify(push);

    const changesBefore = await changeCount(master);
    const wrong = await postJson(http, 'gitlab', pushBody, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' });
    assert.equal(wrong.status, 403);
    const none = await postJson(http, 'gitlab', pushBody, { 'x-gitlab-event': 'Push Hook' });
    assert.equal(none.status, 403);
    assert.equal(await changeCount(master), changesBefore, 'refused deliveries record nothing');

    const res = await postJson(http, 'gitlab', pushBody, { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': GL_TOKEN, 'x-gitlab-event-uuid': 'gl-push-1' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    let builds = await finishedBuilds(master, 'gl', 1);
    assert.deepEqual([builds[0]!.results, builds[0]!.branch, builds[0]!.gotRevision], [0, 'main', c1]);
    assert.equal(builds.length, 1, 'the refused deliveries made no build');

    // A merge request from a feature branch: Buildbot builds the target branch at the source head.
    env.git(glRepo, 'checkout', '-q', '-b', 'topic');
    const mrHead = commitFiles(env, glRepo, { 'check.sh': 'echo merge request head\n' }, 'mr work');
    env.git(glRepo, 'checkout', '-q', 'main');
    const mr = fixture('gitlab-merge-request-open');
    const a = mr.object_attributes;
    a.iid = 3; a.action = 'open'; a.state = 'opened'; a.source_branch = 'topic'; a.target_branch = 'main';
    a.last_commit = { ...a.last_commit, id: mrHead, message: 'mr work' };
    a.target = { ...a.target, name: 'gl-hello', git_http_url: glRepo };
    a.source = { ...a.source, git_http_url: glRepo };
    const mrBody = JSON.stringify(mr);
    const mrRes = await postJson(http, 'gitlab', mrBody, { 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': GL_TOKEN, 'x-gitlab-event-uuid': 'gl-mr-1' });
    assert.equal(mrRes.status, 200, JSON.stringify(mrRes.body));
    builds = await finishedBuilds(master, 'gl', 2);
    const b = builds[1]!;
    assert.deepEqual([b.results, b.branch, b.revision, b.gotRevision], [0, 'main', mrHead, mrHead]);
    assert.equal(b.properties.source_branch?.[0], 'topic');
  });
});
