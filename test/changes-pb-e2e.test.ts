/**
 * `changes.pb` (Buildbot's PBChangeSource) on a real master, fed by Debian's `buildbot sendchange`
 * 3.7: on the default shared worker port (user `change`, password `changepw`) a sendchange creates
 * the change with every field it sends and its build runs; a wrong password is refused and adds
 * nothing; a PB port of its own with a prefix works beside it; a reconfig that removes the source
 * takes its user away.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TestEnv, freePort, waitUntil, type MasterProcess } from './support/master-harness.js';
import { finishedBuilds } from './support/change-e2e.js';
import { buildbotMissing as skip, sendchange } from './support/buildbot-sendchange.js';

const config = (changeSources: string, extra = '') => `import { defineConfig, worker, builder, steps, schedulers, changes, util } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0, host: '127.0.0.1' } },
  www: null,
  workers: [worker('w0', 'pass')],
  changeSources: [${changeSources}],
  schedulers: [schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['b'] })],
  builders: [builder({ name: 'b', workerNames: ['w0'], collapseRequests: false, steps: [
    steps.shell({ command: ['sh', '-c', 'echo building "$0"', util.Interpolate('%(prop:revision)s')] }),
  ] })],
  ${extra}
});
`;

async function changes(master: MasterProcess): Promise<any[]> {
  return master.get(['changes']);
}

test('buildbot sendchange on the shared default worker port creates the change and its build; a wrong password is refused', { skip, timeout: 180_000 }, async () => {
  const env = new TestEnv();
  try {
    env.writeConfig(config('changes.pb({})'));
    const master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    const at = `127.0.0.1:${master.ready.workerPort}`;

    const sent = await sendchange(['--master', at, '--auth', 'change:changepw', '--who', 'Ada <ada@example.org>', '--branch', 'main', '--revision', 'abc123',
      '--comments', 'fix the frobnicator', '--repository', 'https://example.org/repo.git', '--project', 'proj', '--category', 'cat',
      '--revlink', 'https://example.org/c/abc123', '--property', 'color:blue', '--codebase', 'cb', '--vc', 'git', '--when', '1700000000', 'src/a.c', 'README']);
    assert.equal(sent.code, 0, sent.output);
    assert.match(sent.output, /change sent successfully/);
    const [change] = await waitUntil(async () => { const c = await changes(master); return c.length ? c : null; }, 'the change');
    assert.deepEqual(
      [change.author, change.branch, change.revision, change.comments, change.repository, change.project, change.category, change.revlink, change.codebase, change.files, change.when_timestamp, change.properties.color],
      ['Ada <ada@example.org>', 'main', 'abc123', 'fix the frobnicator', 'https://example.org/repo.git', 'proj', 'cat', 'https://example.org/c/abc123', 'cb', ['src/a.c', 'README'], 1700000000, ['blue', 'Change']],
    );
    const [build] = await finishedBuilds(master, 'b', 1);
    assert.deepEqual([build!.results, build!.revision, build!.branch], [0, 'abc123', 'main'], 'the change was built');

    const wrong = await sendchange(['--master', at, '--auth', 'change:nope', '--who', 'Eve', '--branch', 'main', '--revision', 'bad', 'x']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.output, /change not sent/);
    assert.match(wrong.output, /login refused for change: unknown user name or wrong password/);
    assert.equal((await changes(master)).length, 1, 'the refused change was not added');
    assert.match(master.output, /change received over PB/);
  } finally {
    await env.cleanup();
  }
});

test('a changes.pb on a port of its own, with a prefix, beside one on the worker port; a reconfig that removes it takes its user away', { skip, timeout: 180_000 }, async () => {
  const env = new TestEnv();
  try {
    const own = await freePort();
    const both = `changes.pb({ user: 'svn', passwd: 's3cret', port: ${own}, prefix: 'trunk/' }), changes.pb({})`;
    env.writeConfig(config(both));
    const master = await env.startMaster();
    const r = await sendchange(['--master', `127.0.0.1:${own}`, '--auth', 'svn:s3cret', '--who', 'a', '--branch', 'trunk', '--revision', '7', 'trunk/src/a.c', 'branches/x/b.c']);
    assert.equal(r.code, 0, r.output);
    const onShared = await sendchange(['--master', `127.0.0.1:${master.ready.workerPort}`, '--who', 'b', '--revision', '8', 'f']);
    assert.equal(onShared.code, 0, onShared.output);
    const byRevision = async () => new Map((await changes(master)).map((c) => [c.revision, c]));
    await waitUntil(async () => (await byRevision()).size === 2, 'both changes');
    assert.deepEqual((await byRevision()).get('7').files, ['src/a.c'], 'the prefix is cut and other files are dropped');
    const wrongPort = await sendchange(['--master', `127.0.0.1:${master.ready.workerPort}`, '--auth', 'svn:s3cret', '--who', 'a', 'f']);
    assert.notEqual(wrongPort.code, 0, 'each user logs in on its own port only');

    env.writeConfig(config('changes.pb({})'));
    const applied = await master.call('reconfig');
    assert.ok(applied, 'reconfig applied');
    const gone = await sendchange(['--master', `127.0.0.1:${own}`, '--auth', 'svn:s3cret', '--who', 'a', 'trunk/f']);
    assert.notEqual(gone.code, 0, 'the removed source no longer listens');
    const stays = await sendchange(['--master', `127.0.0.1:${master.ready.workerPort}`, '--who', 'c', '--revision', '9', 'f']);
    assert.equal(stays.code, 0, stays.output);
    await waitUntil(async () => (await byRevision()).has('9'), 'the change sent after the reconfig');
  } finally {
    await env.cleanup();
  }
});
