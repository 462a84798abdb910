/**
 * The "build every change and vote on it" loop end to end: a real master and mastro-worker, the
 * gerritStream change source replaying recorded `stream-events` lines
 * (test/fixtures/gerrit-stream-replay.mjs), real git repositories holding the patch sets under
 * refs/changes/.., and the master's gerritStatusPush voting over SSH to a real OpenSSH server
 * (test/support/sshd.ts) whose forced command records the `gerrit review` it was asked for. A
 * change whose check passes gets Verified=+1 on its CHANGE,PATCHSET; a broken one -1.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, TestEnv, type MasterProcess } from './support/master-harness.js';
import { checkoutBuilderSource, commitFiles, finishedBuilds, fixture, initRepo } from './support/change-e2e.js';
import { TestSshd, sshdUnavailable } from '../packages/master/test/support/sshd.js';

const REPLAY = join(ROOT, 'test/fixtures/gerrit-stream-replay.mjs');
const skip = sshdUnavailable();

describe('Gerrit votes from a real master over real SSH', { skip }, () => {
  let env: TestEnv; let master: MasterProcess; let sshd: TestSshd; let repo: string; let events: string;

  before(async () => {
    env = new TestEnv();
    sshd = await TestSshd.start();
    repo = initRepo(env, 'app');
    commitFiles(env, repo, { 'check.sh': 'echo base\n' }, 'first');
    events = join(env.root, 'stream-events.jsonl');
    env.writeConfig(`import { defineConfig, worker, builder, steps, schedulers, changes, reporters } from 'mastro';
export default defineConfig({
  db: { url: 'sqlite:state.sqlite' },
  protocols: { msgpack: { port: 0 } },
  www: { port: 0, host: '127.0.0.1' },
  workers: [worker('w0', 'pass')],
  changeSources: [changes.gerritStream({ name: 'gerrit', command: [process.execPath, ${JSON.stringify(REPLAY)}, ${JSON.stringify(events)}], gitBaseURL: ${JSON.stringify(env.root)} })],
  schedulers: [schedulers.anyBranch({ name: 'review', treeStableTimer: null, builderNames: ['verify'] })],
  builders: [${checkoutBuilderSource('verify', repo)}],
  reporters: [reporters.gerritStatusPush({
    server: '127.0.0.1', port: ${sshd.port}, username: ${JSON.stringify(sshd.user)},
    identityFile: ${JSON.stringify(sshd.clientKey)}, knownHostsFile: ${JSON.stringify(sshd.knownHostsFile)},
  })],
});
`);
    master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
  });

  after(async () => { await env?.cleanup(); await sshd?.close(); });

  /** Uploads a patch set under Gerrit's refs/changes/NN/CHANGE/PS and appends its patchset-created event to the stream. */
  function upload(change: number, patchSet: number, check: string, createdOn: number): string {
    env.git(repo, 'checkout', '-q', '--detach', 'main');
    const rev = commitFiles(env, repo, { 'check.sh': check }, `change ${change} patch set ${patchSet}`);
    const ref = `refs/changes/${String(change % 100).padStart(2, '0')}/${change}/${patchSet}`;
    env.git(repo, 'update-ref', ref, rev);
    env.git(repo, 'checkout', '-q', 'main');
    const e = fixture('gerrit-patchset-created');
    e.project = 'app'; e.change.project = 'app'; e.change.number = change;
    e.patchSet = { ...e.patchSet, number: patchSet, revision: rev, ref };
    e.eventCreatedOn = createdOn;
    appendFileSync(events, `${JSON.stringify(e)}\n`);
    return rev;
  }

  it('a change from the stream is built and gets Verified=+1; a broken one gets -1', async () => {
    upload(101, 2, 'echo all good\n', 1700002000);
    const [good] = await finishedBuilds(master, 'verify', 1);
    assert.equal(good!.results, 0, master.output.slice(-3000));
    assert.equal(good!.properties['event.change.number']?.[0], 101, 'the build carries the change number the vote needs');
    assert.equal(good!.properties['event.patchSet.number']?.[0], 2, 'and the patch set number');
    const [first] = await sshd.waitForCommands(1);
    assert.deepEqual(first!.argv.slice(0, 4), ['gerrit', 'review', '--project', 'app']);
    assert.deepEqual(first!.argv.slice(-3), ['--label', 'Verified=+1', '101,2']);
    assert.match(first!.argv[first!.argv.indexOf('--message') + 1]!, /^Builder verify succeeded \(build successful\) - /);

    upload(102, 1, 'echo broken; exit 1\n', 1700002100);
    const builds = await finishedBuilds(master, 'verify', 2);
    assert.equal(builds[1]!.results, 2);
    const [, second] = await sshd.waitForCommands(2);
    assert.deepEqual(second!.argv.slice(-3), ['--label', 'Verified=-1', '102,1']);
    assert.match(second!.argv[second!.argv.indexOf('--message') + 1]!, /^Builder verify failed /);
    assert.equal(sshd.commands().length, 2, 'one review per change');
  });
});
