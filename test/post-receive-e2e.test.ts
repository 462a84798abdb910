/**
 * The push path on a real master with a real worker:
 *  - `contrib/post-receive` installed in a real bare repository posts one Change per pushed commit
 *    to the master's base change hook, and the builds check out exactly those revisions (several
 *    commits, a new branch that reports only its own commits, two refs in one push, a deletion);
 *  - `mastro sendchange` (the compiled CLI) posts a Change whose build runs at the given revision.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT, TestEnv, type MasterProcess } from './support/master-harness.js';
import { buildsetCount, checkoutBuilder, finishedBuilds } from './support/change-e2e.js';

const HOOK = join(ROOT, 'contrib/post-receive');
const MASTRO_CLI = join(ROOT, 'packages/master/dist/cli.js');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Cy', GIT_COMMITTER_EMAIL: 'cy@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

describe('contrib/post-receive and mastro sendchange against a real master', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let bare: string;
  let work: string;

  const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  /** `git push`, returning what the hook printed to the pusher ("remote: ..." lines). */
  const push = (...args: string[]) => execFileSync('git', ['push', '--porcelain', 'origin', ...args], { cwd: work, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const commit = (file: string, text: string) => {
    writeFileSync(join(work, file), text);
    git(work, 'add', file);
    git(work, 'commit', '-q', '-m', `${file}: ${text.trim()}`);
    return git(work, 'rev-parse', 'HEAD');
  };
  const summary = (b: Awaited<ReturnType<typeof finishedBuilds>>) => b.map((x) => [x.results, x.branch, x.gotRevision]);

  before(async () => {
    env = new TestEnv();
    bare = join(env.root, 'proj.git');
    git(env.root, 'init', '-q', '--bare', '--initial-branch=main', bare);
    env.writeConfig(`import { defineConfig, worker, builder, steps, schedulers } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, changeHooks: { base: {} } },
  workers: [worker('w0', 'pass')],
  schedulers: [schedulers.anyBranch({ name: 'pushes', builderNames: ['proj'], changeFilter: { project: 'proj' } })],
  builders: [${checkoutBuilder('proj', bare)}],
});
`);
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    copyFileSync(HOOK, join(bare, 'hooks', 'post-receive'));
    chmodSync(join(bare, 'hooks', 'post-receive'), 0o755);
    git(bare, 'config', 'hooks.mastro.master', `127.0.0.1:${master.ready.httpPort}`);
    git(bare, 'config', 'hooks.mastro.project', 'proj');
    work = join(env.root, 'work');
    git(env.root, 'clone', '-q', bare, work);
    git(work, 'checkout', '-q', '-b', 'main');
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
    const out = await promisify(execFile)(process.execPath, [MASTRO_CLI, 'sendchange', '--master', `127.0.0.1:${master.ready.httpPort}`,
      '--who', 'Dev <dev@example.org>', '--repository', bare, '--project', 'proj', '--branch', 'main', '--revision', rev,
      '--comments', 'sent by hand', '--property', 'origin:cli', 'check.sh', 'docs/readme.txt'], { cwd: env.root });
    assert.match(out.stdout + out.stderr, /change sent|1 change/i);
    const builds = await finishedBuilds(master, 'proj', 10);
    assert.deepEqual(summary(builds.slice(9)), [[0, 'main', rev]]);
    assert.equal(await buildsetCount(master), sets + 1);
    const change = (await master.get(['changes'])).find((c) => c.comments === 'sent by hand');
    assert.deepEqual([change.author, change.revision, change.branch, change.files, change.properties.origin], ['Dev <dev@example.org>', rev, 'main', ['check.sh', 'docs/readme.txt'], ['cli', 'Change']]);
  });
});
