/**
 * contrib/post-receive-sendchange, a post-receive script that calls Debian's `buildbot sendchange`
 * for each pushed branch (as Buildbot's git_buildbot.py setups do), against a real master's
 * `changes.pb`, in the two places the original use case puts it:
 *  - installed as the post-receive hook of the upstream repository, run by git on a push;
 *  - unmodified as the hook of a mirror poller that mirrors that repository;
 * both give the same Changes (every field sendchange carries), and the same commits, authors, files,
 * times and branches as the mirror poller finds itself. A new branch reports only its own commits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestEnv, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';
import { buildbotMissing as skip } from './support/buildbot-sendchange.js';

const SCRIPT = join(ROOT, 'contrib/post-receive-sendchange');
const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.org', GIT_COMMITTER_NAME: 'Cy', GIT_COMMITTER_EMAIL: 'cy@example.org', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

/** The fields of a Change that say what changed, without ids or the path it came by (its category). */
function described(c: any): Record<string, unknown> {
  return {
    revision: c.revision, author: c.author, comments: c.comments, branch: c.branch, files: [...c.files].sort(), when_timestamp: c.when_timestamp,
    repository: c.repository, project: c.project, codebase: c.codebase, revlink: c.revlink, properties: c.properties,
  };
}

async function changesBy(master: MasterProcess, category: string): Promise<any[]> {
  return (await master.get(['changes'])).filter((c: any) => c.category === category).sort((a: any, b: any) => (a.revision < b.revision ? -1 : 1));
}

test('post-receive-sendchange gives the same Changes run by git on a push and run unmodified by the mirror poller, and the commits the poller finds itself', { skip, timeout: 240_000 }, async () => {
  const env = new TestEnv();
  try {
    const upstream = join(env.root, 'proj.git');
    git(env.root, 'init', '-q', '--bare', '--initial-branch=main', upstream);
    const work = join(env.root, 'work');
    git(env.root, 'clone', '-q', upstream, work);
    git(work, 'checkout', '-q', '-b', 'main');
    const commit = (file: string, text: string, message: string) => { writeFileSync(join(work, file), text); git(work, 'add', file); git(work, 'commit', '-q', '-m', message); return git(work, 'rev-parse', 'HEAD'); };
    commit('README', 'hello\n', 'initial');
    git(work, 'push', '-q', 'origin', 'main'); // before the hook and the mirrors: known to everyone

    const pbPort = await freePort();
    const master = `127.0.0.1:${pbPort}`;
    const common = { project: 'proj', repository: upstream };
    env.writeConfig(`import { defineConfig, worker, changes } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: ${pbPort}, host: '127.0.0.1' } },
  www: null,
  workers: [worker('w0', 'pass')],
  changeSources: [
    changes.pb({}),
    // The poller's own Changes, for comparison.
    changes.mirrorPoller({ name: 'native', repositories: [${JSON.stringify(upstream)}], pollInterval: 1, project: 'proj', category: 'native' }),
    // The script as the mirror's hook, unmodified; its settings come through the environment.
    changes.mirrorPoller({ name: 'hooked', repositories: [${JSON.stringify(upstream)}], pollInterval: 1, emitChanges: false,
      hook: { command: [${JSON.stringify(SCRIPT)}], env: { BUILDBOT_MASTER: '${master}', BUILDBOT_REPOSITORY: ${JSON.stringify(upstream)}, BUILDBOT_PROJECT: 'proj', BUILDBOT_CATEGORY: 'mirror-hook' } } }),
  ],
});
`);
    const m = await env.startMaster();
    // Both mirrors have recorded the heads (their first cycle) before anything is pushed.
    await waitUntil(async () => {
      const sources = await m.get(['changesources']);
      return ['native', 'hooked'].every((n) => (sources.find((s: any) => s.name === n)?.status?.lastCycle ?? null) !== null);
    }, 'the first cycle of both mirror pollers');

    copyFileSync(SCRIPT, join(upstream, 'hooks', 'post-receive'));
    chmodSync(join(upstream, 'hooks', 'post-receive'), 0o755);
    git(upstream, 'config', 'hooks.buildbot.master', master);
    git(upstream, 'config', 'hooks.buildbot.project', common.project);
    git(upstream, 'config', 'hooks.buildbot.repository', common.repository);
    git(upstream, 'config', 'hooks.buildbot.category', 'push');

    const revs = [commit('a.txt', 'one\n', 'first change'), commit('b.txt', 'two\n', 'second change\n\nwith a body, ünïcode ✓')];
    writeFileSync(join(work, 'a.txt'), 'one more\n');
    writeFileSync(join(work, 'c.txt'), 'three\n');
    git(work, 'add', 'a.txt', 'c.txt');
    git(work, 'commit', '-q', '-m', 'two files');
    revs.push(git(work, 'rev-parse', 'HEAD'));
    git(work, 'push', '-q', 'origin', 'main');
    git(work, 'checkout', '-q', '-b', 'feature');
    revs.push(commit('f.txt', 'feature\n', 'feature work'));
    git(work, 'push', '-q', 'origin', 'feature');

    const pushed = await waitUntil(async () => { const c = await changesBy(m, 'push'); return c.length >= 4 ? c : null; }, 'the changes of the pushes');
    const hooked = await waitUntil(async () => { const c = await changesBy(m, 'mirror-hook'); return c.length >= 4 ? c : null; }, 'the changes of the mirror hook', 60_000);
    const native = await waitUntil(async () => { const c = await changesBy(m, 'native'); return c.length >= 4 ? c : null; }, 'the mirror poller\'s own changes', 60_000);

    assert.deepEqual(pushed.map((c) => c.revision), [...revs].sort(), 'one change per pushed commit; the new branch only its own');
    assert.deepEqual(hooked.map(described), pushed.map(described), 'run by the mirror poller, the script sends what it sends on a push');
    const feature = pushed.find((c) => c.revision === revs[3]);
    assert.deepEqual([feature.branch, feature.files, feature.author], ['feature', ['f.txt'], 'Ada <ada@example.org>']);
    assert.equal(pushed.find((c) => c.revision === revs[1]).comments, 'second change\n\nwith a body, ünïcode ✓');
    assert.deepEqual(pushed.find((c) => c.revision === revs[2]).files.sort(), ['a.txt', 'c.txt']);
    // The poller's own Changes name the same commits, authors, files, times and branches (sendchange carries no committer).
    const core = (c: any) => [c.revision, c.author, c.branch, [...c.files].sort(), c.when_timestamp, c.repository, c.project];
    assert.deepEqual(hooked.map(core), native.map(core));

    // A refused sendchange is said to the pusher and fails the hook; so does a missing master.
    const zero = '0'.repeat(40);
    const lone = git(upstream, 'commit-tree', 'main^{tree}', '-p', 'main', '-m', 'on no branch yet');
    const refused = spawnSync(SCRIPT, [], { cwd: upstream, env: { ...GIT_ENV, GIT_DIR: '.', BUILDBOT_AUTH: 'change:wrong' }, input: `${zero} ${lone} refs/heads/other\n`, encoding: 'utf8' });
    assert.equal(refused.status, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`the change for ${lone} on other was not sent to ${master}: .*login refused for change`, 's'));
    const unset = spawnSync(SCRIPT, [], { cwd: work, env: { ...GIT_ENV, GIT_DIR: join(work, '.git') }, input: '', encoding: 'utf8' });
    assert.equal(unset.status, 1);
    assert.match(unset.stderr, /set the master with `git config hooks\.buildbot\.master host:9989` \(or BUILDBOT_MASTER\)/);
  } finally {
    await env.cleanup();
  }
});
