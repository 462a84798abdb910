/**
 * A real master whose change hooks require HTTP Basic credentials (`www.changeHookAuth`, one
 * literal account and a Buildbot-style password file):
 *  - `mastro sendchange --auth user:pw` (the compiled CLI) and `contrib/post-receive` with
 *    `hooks.mastro.auth` get their Changes in and built;
 *  - without credentials, or with wrong ones, both fail with a clear message and add nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, type MasterProcess } from './support/master-harness.js';
import { changeCount, finishedBuilds } from './support/change-e2e.js';
import { sendchange as runSendchange, startPushSetup, type PushSetup } from './support/push-e2e.js';

describe('mastro sendchange and contrib/post-receive against a master requiring change hook auth', () => {
  let env: TestEnv;
  let setup: PushSetup;
  let master: MasterProcess;
  let bare: string;
  let work: string;

  const git = (cwd: string, ...args: string[]) => setup.git(cwd, ...args);
  /** `git push`; the hook's messages come back on stderr as "remote: ..." lines. */
  const push = (...refspecs: string[]) => setup.push(...refspecs);
  const commit = (text: string) => setup.commit('check.sh', text, text.trim());
  const sendchange = (rev: string, label: string, ...extra: string[]) => runSendchange(env, master, [
    '--who', 'Dev <dev@example.org>', '--repository', bare, '--project', 'proj', '--branch', 'main', '--revision', rev, '--comments', label, ...extra, 'check.sh']);

  before(async () => {
    env = new TestEnv();
    writeFileSync(join(env.masterDir, 'changehook.passwd'), '# accounts for the post-receive hook\ngit-hook:push-secret\n');
    setup = await startPushSetup(env, { port: 0, changeHooks: { base: {} }, changeHookAuth: [{ username: 'ci', password: 'sendchange-secret' }, 'file:changehook.passwd'] });
    ({ master, bare, work } = setup);
  });

  after(() => env.cleanup());

  it('post-receive without hooks.mastro.auth tells the pusher authentication is required and adds no change', async () => {
    commit('echo unauthenticated\n');
    const out = push('main');
    assert.match(out, /mastro post-receive: the master answered 401: change hooks on this master require authentication/, out);
    assert.match(out, /hooks\.mastro\.auth/, 'the message says how to fix it');
    assert.equal(await changeCount(master), 0);
  });

  it('post-receive with the password-file account in hooks.mastro.auth gets the pushed commit built', async () => {
    git(bare, 'config', 'hooks.mastro.auth', 'git-hook:push-secret');
    const rev = commit('echo authenticated push\n');
    push('main');
    const builds = await finishedBuilds(master, 'proj', 1);
    assert.deepEqual(builds.map((b) => [b.results, b.branch, b.gotRevision]), [[0, 'main', rev]], master.output.slice(-3000));
  });

  it('post-receive with a wrong password is refused again', async () => {
    git(bare, 'config', 'hooks.mastro.auth', 'git-hook:wrong');
    const changes = await changeCount(master);
    commit('echo wrong password\n');
    const out = push('main');
    assert.match(out, /answered 401: wrong change hook user name or password/, out);
    assert.equal(await changeCount(master), changes);
  });

  it('mastro sendchange --auth with the configured account posts a change that is built; without or with a wrong --auth it exits 1 and says why', async () => {
    const rev = git(work, 'rev-parse', 'HEAD');
    const changes = await changeCount(master);
    const none = await sendchange(rev, 'no auth');
    assert.equal(none.code, 1);
    assert.match(none.out, /refused the credentials \(401\); check --auth/);
    const wrong = await sendchange(rev, 'wrong auth', '--auth', 'ci:nope');
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /refused the credentials \(401\)/);
    assert.equal(await changeCount(master), changes, 'refused requests add nothing');

    const ok = await sendchange(rev, 'right auth', '--auth', 'ci:sendchange-secret');
    assert.equal(ok.code, 0, ok.out);
    const builds = await finishedBuilds(master, 'proj', 2);
    assert.deepEqual(builds.slice(1).map((b) => [b.results, b.branch, b.gotRevision]), [[0, 'main', rev]]);
    const change = (await master.get(['changes'])).find((c) => c.comments === 'right auth');
    assert.equal(change?.revision, rev);
  });
});
