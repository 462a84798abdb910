/**
 * The push path on a real master with a real worker:
 *  - `contrib/post-receive` installed in a real bare repository posts one Change per pushed commit
 *    to the master's base change hook, and the builds check out exactly those revisions (several
 *    commits, a new branch that reports only its own commits, two refs in one push, a deletion);
 *  - `mastro sendchange` (the compiled CLI) posts a Change whose build runs at the given revision.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, type MasterProcess } from './support/master-harness.js';
import { buildsetCount, finishedBuilds } from './support/change-e2e.js';
import { sendchange, startPushSetup, type PushSetup } from './support/push-e2e.js';

describe('contrib/post-receive and mastro sendchange against a real master', () => {
  let env: TestEnv;
  let setup: PushSetup;
  let master: MasterProcess;
  let bare: string;
  let work: string;

  const commit = (file: string, text: string) => setup.commit(file, text);
  const push = (...refspecs: string[]) => setup.push(...refspecs);
  const git = (cwd: string, ...args: string[]) => setup.git(cwd, ...args);
  const summary = (b: Awaited<ReturnType<typeof finishedBuilds>>) => b.map((x) => [x.results, x.branch, x.gotRevision]);

  before(async () => {
    env = new TestEnv();
    setup = await startPushSetup(env, { port: 0, changeHooks: { base: {} } });
    ({ master, bare, work } = setup);
  });

  after(() => env.cleanup());

  it('builds every commit of a push to a new repository at its revision', async () => {
    const c1 = commit('check.sh', 'echo one\n');
    const c2 = commit('check.sh', 'echo two\n');
    const c3 = commit('check.sh', 'echo three\n');
    push('main');
    const builds = await finishedBuilds(master, 'proj', 3);
    assert.deepEqual(summary(builds), [[0, 'main', c1], [0, 'main', c2], [0, 'main', c3]], master.output.slice(-3000));
    const change = (await master.get(['changes'])).find((c) => c.revision === c2);
    assert.deepEqual([change.author, change.committer, change.repository, change.project, change.files, change.comments], ['Ada <ada@example.org>', 'Cy <cy@example.org>', bare, 'proj', ['check.sh'], 'check.sh: echo two']);
  });

  it('builds a created branch at its own commits only, and two refs pushed together', async () => {
    git(work, 'checkout', '-q', '-b', 'feature');
    const f1 = commit('check.sh', 'echo feature one\n');
    const f2 = commit('check.sh', 'echo feature two\n');
    push('feature');
    let builds = await finishedBuilds(master, 'proj', 5);
    assert.deepEqual(summary(builds.slice(3)), [[0, 'feature', f1], [0, 'feature', f2]], 'the commits feature shares with main are not built again');

    const f3 = commit('check.sh', 'echo feature three\n');
    git(work, 'checkout', '-q', 'main');
    const m4 = commit('check.sh', 'echo main four\n');
    push('main', 'feature');
    builds = await finishedBuilds(master, 'proj', 7);
    assert.deepEqual(summary(builds.slice(5)).sort(), [[0, 'feature', f3], [0, 'main', m4]].sort());
  });

  it('builds nothing for a deleted branch', async () => {
    const sets = await buildsetCount(master);
    push(':feature');
    const m5 = commit('check.sh', 'echo main five\n');
    push('main');
    const builds = await finishedBuilds(master, 'proj', 8);
    assert.deepEqual(summary(builds.slice(7)), [[0, 'main', m5]]);
    assert.equal(await buildsetCount(master), sets + 1, 'the deletion made no buildset');
  });

  it('mastro sendchange posts a Change that is built at its revision', async () => {
    const rev = commit('check.sh', 'echo sent by sendchange\n');
    push('main'); // the hook's Change builds it once (build 9); sendchange asks for it again
    await finishedBuilds(master, 'proj', 9);
    const sets = await buildsetCount(master);
    const sent = await sendchange(env, master, ['--who', 'Dev <dev@example.org>', '--repository', bare, '--project', 'proj', '--branch', 'main', '--revision', rev,
      '--comments', 'sent by hand', '--property', 'origin:cli', 'check.sh', 'docs/readme.txt']);
    assert.equal(sent.code, 0, sent.out);
    assert.match(sent.out, /change sent|1 change/i);
    const builds = await finishedBuilds(master, 'proj', 10);
    assert.deepEqual(summary(builds.slice(9)), [[0, 'main', rev]]);
    assert.equal(await buildsetCount(master), sets + 1);
    const change = (await master.get(['changes'])).find((c) => c.comments === 'sent by hand');
    assert.deepEqual([change.author, change.revision, change.branch, change.files, change.properties.origin], ['Dev <dev@example.org>', rev, 'main', ['check.sh', 'docs/readme.txt'], ['cli', 'Change']]);
  });
});
