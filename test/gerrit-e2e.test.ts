/**
 * Gerrit on a real master with a real worker and real git repositories (one per Gerrit project,
 * `gitBaseURL` pointing at their parent directory, so a Change's repository is a real clone URL):
 *  - the `gerrit` webhook: patchset-created builds the patch set's ref (refs/changes/..) at its
 *    revision, ref-updated builds the branch at the new revision, a wrong token records nothing;
 *  - the `gerritStream` change source, whose command replays a recorded `stream-events` session
 *    (test/fixtures/gerrit-stream-replay.mjs): events become builds, and when the stream drops the
 *    source reconnects and goes on with the next events.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestEnv, waitUntil, type MasterProcess } from './support/master-harness.js';
import { changeCount, checkoutBuilder, commitFiles, finishedBuilds, fixture, initRepo, postJson } from './support/change-e2e.js';

const REPLAY = join(ROOT, 'test/fixtures/gerrit-stream-replay.mjs');
const TOKEN = 'gerrit-hook-token';

describe('Gerrit webhook and stream-events source on a real master', () => {
  let env: TestEnv;
  let master: MasterProcess;
  let hookRepo: string;
  let streamRepo: string;
  let events: string;

  before(async () => {
    env = new TestEnv();
    hookRepo = initRepo(env, 'hookproj');
    streamRepo = initRepo(env, 'streamproj');
    commitFiles(env, hookRepo, { 'check.sh': 'echo hook v1\n' }, 'first');
    commitFiles(env, streamRepo, { 'check.sh': 'echo stream v1\n' }, 'first');
    events = join(env.root, 'stream-events.jsonl');
    env.writeConfig({ token: TOKEN, root: env.root, replay: REPLAY, events, hookRepo, streamRepo }, (m, v) => m.defineConfig({
      db: { url: 'sqlite:state.sqlite' },
      protocols: { msgpack: { port: 0 } },
      www: { port: 0, changeHooks: { gerrit: { secret: v.token, gitBaseURL: v.root } } },
      workers: [m.worker('w0', 'pass', { maxBuilds: 2 })],
      changeSources: [
        m.changes.gerritStream({ name: 'gerrit', command: [process.execPath, v.replay, v.events], gitBaseURL: v.root, backoffMin: 0.1, backoffMax: 0.5 }),
      ],
      schedulers: [
        m.schedulers.anyBranch({ name: 'hook', builderNames: ['hook'], changeFilter: { project: 'hookproj' } }),
        m.schedulers.anyBranch({ name: 'stream', builderNames: ['stream'], changeFilter: { project: 'streamproj' } }),
      ],
      builders: [
        checkoutBuilder(m, 'hook', v.hookRepo),
        checkoutBuilder(m, 'stream', v.streamRepo),
      ],
    }), { checkoutBuilder });
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
  });

  after(() => env.cleanup());

  /** A patch set uploaded for review: Gerrit keeps it under refs/changes/<nn>/<change>/<patchset>. */
  function uploadPatchSet(repo: string, change: number, patchSet: number, content: string): { ref: string; rev: string } {
    env.git(repo, 'checkout', '-q', '--detach', 'main');
    const rev = commitFiles(env, repo, { 'check.sh': content }, `change ${change} patch set ${patchSet}`);
    const ref = `refs/changes/${String(change % 100).padStart(2, '0')}/${change}/${patchSet}`;
    env.git(repo, 'update-ref', ref, rev);
    env.git(repo, 'checkout', '-q', 'main');
    return { ref, rev };
  }

  function patchsetCreated(project: string, change: number, patchSet: number, ps: { ref: string; rev: string }, createdOn: number): any {
    const e = fixture('gerrit-patchset-created');
    e.project = project; e.change.project = project; e.change.number = change;
    e.patchSet = { ...e.patchSet, number: patchSet, revision: ps.rev, ref: ps.ref };
    e.eventCreatedOn = createdOn;
    return e;
  }

  function refUpdated(project: string, oldRev: string, newRev: string, createdOn: number): any {
    const e = fixture('gerrit-ref-updated');
    e.refUpdate = { ...e.refUpdate, project, oldRev, newRev, refName: 'refs/heads/main' };
    e.eventCreatedOn = createdOn;
    return e;
  }

  it('builds a patch set posted by the webhook at its review ref, and a merged branch at its new head', async () => {
    const ps = uploadPatchSet(hookRepo, 4242, 1, 'echo patch set one\n');
    const body = JSON.stringify(patchsetCreated('hookproj', 4242, 1, ps, 1700000101));
    const before = await changeCount(master);
    const wrong = await postJson(master.ready.httpPort!, 'gerrit', body, {}, '?token=nope');
    assert.equal(wrong.status, 403);
    assert.equal(await changeCount(master), before, 'a wrong token records nothing');
    const res = await postJson(master.ready.httpPort!, 'gerrit', body, { authorization: `Bearer ${TOKEN}` });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    let builds = await finishedBuilds(master, 'hook', 1);
    assert.deepEqual([builds[0]!.results, builds[0]!.branch, builds[0]!.revision, builds[0]!.gotRevision], [0, ps.ref, ps.rev, ps.rev], master.output.slice(-3000));
    assert.equal(builds[0]!.properties.target_branch?.[0], 'main');
    assert.equal(builds[0]!.properties['event.change.number']?.[0], 4242);

    const old = env.git(hookRepo, 'rev-parse', 'HEAD');
    const merged = commitFiles(env, hookRepo, { 'check.sh': 'echo merged\n' }, 'merged');
    const upd = await postJson(master.ready.httpPort!, 'gerrit', JSON.stringify(refUpdated('hookproj', old, merged, 1700000501)), {}, `?token=${TOKEN}`);
    assert.equal(upd.status, 200, JSON.stringify(upd.body));
    builds = await finishedBuilds(master, 'hook', 2);
    assert.deepEqual([builds[1]!.results, builds[1]!.branch, builds[1]!.gotRevision], [0, 'main', merged]);
    const [change] = (await master.get(['changes'])).filter((c) => c.revision === merged);
    assert.equal(change.repository, hookRepo, 'the repository is gitBaseURL/<project>');
  });

  it('turns a replayed stream-events session into builds and goes on after the stream drops', async () => {
    const ps = uploadPatchSet(streamRepo, 77, 2, 'echo streamed patch set\n');
    appendFileSync(events, `${JSON.stringify({ type: 'comment-added', change: { project: 'streamproj' } })}\n`);
    appendFileSync(events, `${JSON.stringify(patchsetCreated('streamproj', 77, 2, ps, 1700001000))}\n`);
    let builds = await finishedBuilds(master, 'stream', 1);
    assert.deepEqual([builds[0]!.results, builds[0]!.branch, builds[0]!.gotRevision], [0, ps.ref, ps.rev]);
    assert.equal(builds[0]!.properties['event.source']?.[0], 'GerritChangeSource');

    // The connection drops (the replay exits like ssh does); the source restarts the command.
    appendFileSync(events, 'EXIT\n');
    await waitUntil(async () => {
      const [src] = (await master.get(['changesources'])).filter((s) => s.kind === 'gerritStream');
      return src?.status?.connects >= 2 && src.status.connected;
    }, 'the gerrit stream to reconnect');
    const old = env.git(streamRepo, 'rev-parse', 'HEAD');
    const merged = commitFiles(env, streamRepo, { 'check.sh': 'echo streamed merge\n' }, 'merged');
    appendFileSync(events, `${JSON.stringify(refUpdated('streamproj', old, merged, 1700001100))}\n`);
    builds = await finishedBuilds(master, 'stream', 2);
    assert.deepEqual([builds[1]!.results, builds[1]!.branch, builds[1]!.gotRevision], [0, 'main', merged]);
    assert.equal(builds.length, 2, 'the comment-added event made no build and nothing was replayed twice');
    const [src] = (await master.get(['changesources'])).filter((s) => s.kind === 'gerritStream');
    assert.equal(src.status.changes, 2);
    assert.match(src.status.lastExit, /exit code 255/);
  });
});
