/**
 * Schedulers on a real master with a real worker and a real git repository, changes arriving
 * through the base change hook (one project per scheduler, so each test sees only its builds):
 *  - `dependent`: a successful upstream buildset starts the downstream builder on the very same
 *    SourceStamps; a failed one starts nothing;
 *  - `nightly` with `onlyIfChanged`, fired by the test (the master-child `runScheduler` op calls the
 *    scheduler's `runNow()`, what its cron does): it builds only when the source changed since its
 *    last build;
 *  - `singleBranch` with a file-path filter (`changeFilter.files`, a docs scheduler) and `treeStableTimer`: a burst of
 *    docs changes becomes one build at the newest revision, and a code-only change is not built;
 *  - a file filter with adversarial globs (many `*-`, repeated `**` + `/`) gets a push of 255-character
 *    and 4 KiB paths: the master filters it and goes on answering (those globs were backtracking
 *    RegExps that froze it at 100% CPU).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { buildsOf, buildsetCount, checkoutBuilder, commitFiles, finishedBuilds, initRepo, postBaseChange } from './support/change-e2e.js';

/** Seconds the docs scheduler waits for the tree to be stable: far longer than posting a burst takes. */
const TREE_STABLE = 3;

describe('dependent, nightly and singleBranch schedulers on a real master', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let repo: string;

  before(async () => {
    env = new TestEnv();
    repo = initRepo(env, 'repo');
    commitFiles(env, repo, { 'check.sh': 'exit 0\n' }, 'first');
    env.writeConfig({ repo, treeStable: TREE_STABLE }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: { port: 0, changeHooks: { base: {} } },
      workers: [m.worker('w0', 'pass', { maxBuilds: 2 })],
      schedulers: [
        m.schedulers.singleBranch({ name: 'up', branch: 'main', builderNames: ['up'], changeFilter: { project: 'dep' } }),
        m.schedulers.dependent({ name: 'down', upstream: 'up', builderNames: ['down'] }),
        // Fires on 1 January at 03:00 only: the test fires it through runNow().
        m.schedulers.nightly({ name: 'nightly', cron: '0 3 1 1 *', onlyIfChanged: true, branch: 'main', builderNames: ['night'], changeFilter: { project: 'night' } }),
        m.schedulers.singleBranch({
          name: 'docs', branch: 'main', builderNames: ['docs'], treeStableTimer: v.treeStable,
          // Declarative file filter: some changed file is under docs/ (onlyFiles would ask for all of them).
          changeFilter: { project: 'web', files: 'docs/**' },
        }),
        m.schedulers.singleBranch({
          name: 'globs', branch: 'main', builderNames: ['globs'],
          changeFilter: { project: 'globs', files: ['*-*-*-*-*-*-*-*.txt', `${'**/'.repeat(8)}x.md`, `!${'*-'.repeat(12)}.c`] },
        }),
      ],
      builders: [
        checkoutBuilder(m, 'up', v.repo),
        checkoutBuilder(m, 'down', v.repo),
        checkoutBuilder(m, 'night', v.repo),
        checkoutBuilder(m, 'docs', v.repo),
        m.builder({ name: 'globs', workerNames: ['w0'], collapseRequests: false, steps: [m.steps.shell({ command: ['true'] })] }),
      ],
    }), { checkoutBuilder });
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
  });

  after(() => env.cleanup());

  const change = (project: string, revision: string, files: string[] = ['check.sh']) => postBaseChange(master.ready.httpPort!, {
    author: 'Dev <dev@example.org>', project, repository: repo, branch: 'main', revision, files, comments: `${project} at ${revision.slice(0, 8)}`,
  });
  const sourcestampIds = async (bsid: number) => (await master.get(['buildsets', bsid]))[0].sourcestamps.map((s: any) => s.ssid);

  it('dependent: runs downstream on the upstream SourceStamps after a success, and not after a failure', async () => {
    const good = commitFiles(env, repo, { 'check.sh': 'echo good; exit 0\n' }, 'good');
    await change('dep', good);
    const [up] = await finishedBuilds(master, 'up', 1);
    const [down] = await finishedBuilds(master, 'down', 1);
    assert.deepEqual([up!.results, up!.gotRevision, down!.results, down!.revision, down!.gotRevision], [0, good, 0, good, good]);
    assert.notEqual(down!.buildsetid, up!.buildsetid);
    assert.deepEqual(await sourcestampIds(down!.buildsetid), await sourcestampIds(up!.buildsetid), 'the same SourceStamp rows, not copies');

    const bad = commitFiles(env, repo, { 'check.sh': 'echo broken; exit 1\n' }, 'bad');
    await change('dep', bad);
    const ups = await finishedBuilds(master, 'up', 2);
    assert.deepEqual([ups[1]!.results, ups[1]!.gotRevision], [2, bad]);
    await waitUntil(() => /upstream buildset did not succeed; not building/.test(master.output), 'the dependent scheduler to decide on the failed buildset');
    assert.equal((await buildsOf(master, 'down')).length, 1, 'no downstream build after the upstream failure');
    commitFiles(env, repo, { 'check.sh': 'exit 0\n' }, 'fixed');
  });

  it('nightly onlyIfChanged: builds only when the source changed since its last build', async () => {
    const runNightly = () => master.call('runScheduler', { name: 'nightly' });
    let sets = await buildsetCount(master);
    await runNightly();
    assert.equal(await buildsetCount(master), sets, 'no change yet: no build');

    const n1 = commitFiles(env, repo, { 'night.txt': 'one\n' }, 'night one');
    await change('night', n1, ['night.txt']);
    assert.equal(await buildsetCount(master), sets, 'a change alone does not build: the schedule does');
    await runNightly();
    assert.equal(await buildsetCount(master), ++sets);
    let builds = await finishedBuilds(master, 'night', 1);
    assert.deepEqual([builds[0]!.results, builds[0]!.branch, builds[0]!.gotRevision], [0, 'main', n1]);

    await runNightly();
    assert.equal(await buildsetCount(master), sets, 'nothing changed since the last build');

    await change('night', n1, ['night.txt']);
    await runNightly();
    assert.equal(await buildsetCount(master), sets, 'a change at the last built revision is no reason to build');

    const n2 = commitFiles(env, repo, { 'night.txt': 'two\n' }, 'night two');
    await change('night', n2, ['night.txt']);
    await runNightly();
    assert.equal(await buildsetCount(master), ++sets);
    builds = await finishedBuilds(master, 'night', 2);
    assert.deepEqual([builds[1]!.results, builds[1]!.gotRevision], [0, n2]);
  });

  it('singleBranch: a burst of docs changes is one build at the newest revision, code changes are not built', async () => {
    const d1 = commitFiles(env, repo, { 'docs/a.md': 'a1\n' }, 'docs a');
    const d2 = commitFiles(env, repo, { 'docs/b.md': 'b1\n' }, 'docs b');
    const d3 = commitFiles(env, repo, { 'docs/a.md': 'a2\n', 'README': 'r\n' }, 'docs a again');
    const code = commitFiles(env, repo, { 'src/main.c': 'int main;\n' }, 'code only');
    const started = Date.now();
    await change('web', d1, ['docs/a.md']);
    await change('web', d2, ['docs/b.md']);
    await change('web', d3, ['docs/a.md', 'README']);
    // Had the filter let it through, this change would join the same tree-stable window and be the newest.
    await change('web', code, ['src/main.c']);
    assert.ok(Date.now() - started < TREE_STABLE * 1000, 'the burst was posted within the tree-stable window');
    const builds = await finishedBuilds(master, 'docs', 1);
    assert.deepEqual([builds[0]!.results, builds[0]!.revision, builds[0]!.gotRevision], [0, d3, d3]);
    assert.equal(builds.length, 1, 'one build for the whole burst');
    const [b] = await master.get(['builders', 'docs']);
    const reqs = (await master.get(['buildrequests'])).filter((r) => r.builderid === b.builderid);
    assert.equal(reqs.length, 1, 'one build request for the docs builder');
  });

  it('a file filter with adversarial globs gets 255-character and 4 KiB paths from a hook and the master still answers', { timeout: 180_000 }, async () => {
    // Every request has a deadline: a frozen master must fail the test, not hang it.
    const http = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`http://127.0.0.1:${master.ready.httpPort}${path}`, { ...init, signal: AbortSignal.timeout(60_000) });
      assert.equal(res.status, 200, `${path}: ${res.status}`);
      return res.json().catch(() => null) as Promise<any>;
    };
    const post = (revision: string, files: string[]) => http('/change_hook/base', {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ project: 'globs', repository: repo, branch: 'main', revision, files: JSON.stringify(files), author: 'Dev <dev@example.org>' }).toString(),
    });
    const dashes = (n: number) => '-'.repeat(n);
    const miss = [dashes(255), `${dashes(4096)}.tx`, `${'a/'.repeat(2048)}y.md`, `${dashes(255)}.c`];
    await post('1'.repeat(40), miss);
    await post('2'.repeat(40), [...miss, `${dashes(4090)}.txt`]);
    const [builder] = (await http('/api/v2/builders?name=globs')).builders;
    const builds = await waitUntil(async () => {
      const b = (await http(`/api/v2/builders/${builder.builderid}/builds?complete=true`)).builds;
      return b.length >= 1 ? b : null;
    }, 'the build of the change with a matching path');
    assert.equal(builds.length, 1, 'the change without a matching path started nothing');
    const changes = (await http('/api/v2/changes?project=globs')).changes;
    assert.deepEqual(changes.map((c: any) => [c.revision, c.files.length]), [['1'.repeat(40), 4], ['2'.repeat(40), 5]]);
    assert.equal((await http('/api/v2/masters')).masters.length, 1, 'the API still answers');
  });
});
