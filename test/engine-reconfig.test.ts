/**
 * Reconfig of a running master: a broken config is refused with the path of the mistake and the
 * running one stays; a valid one adds a builder and changes the running one without interrupting
 * the build in progress, which finishes on the config it started with.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, gatedConfig, waitUntil } from './support/master-harness.js';

test('reconfig refuses a broken config, then adds a builder without interrupting a running build', async () => {
  const env = new TestEnv();
  try {
    const markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    const releaseFile = join(env.root, 'release');
    const base = gatedConfig({ dbUrl: 'sqlite:state.sqlite', workerPort: 0, markDir, releaseFile });
    env.writeConfig(base);
    const master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    await master.submit(['slow']);
    await waitUntil(() => existsSync(join(markDir, 'started-1')), 'the build to run');

    // A builder naming an unknown worker: refused, with the path of the mistake.
    env.writeConfig(base.replace("builders: [", "builders: [\n    builder({ name: 'bad', workerNames: ['nobody'], steps: [] }),"));
    const refused = await master.call('reconfig');
    assert.equal(refused.ok, false);
    assert.ok(refused.issues.some((i: any) => /builders/.test(i.path)), JSON.stringify(refused.issues));
    assert.ok(!(await master.get(['builders'])).some((b) => b.name === 'bad'));

    // A valid change: a new builder 'quick' on the same worker.
    env.writeConfig(base.replace("builders: [", "builders: [\n    builder({ name: 'quick', workerNames: ['w0'], steps: [steps.shell({ command: ['true'] })] }),"));
    const applied = await master.call('reconfig');
    assert.equal(applied.ok, true, JSON.stringify(applied.issues));
    const quick = await master.submit(['quick']);
    const qb = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildrequestid === Object.values(quick.brids)[0] && b.complete), 'the new builder to build', 60_000);
    assert.equal(qb.results, 0);

    const [running] = (await master.get(['builds'])).filter((b) => b.number === 1 && !b.complete);
    assert.ok(running, 'the slow build is still running after the reconfig');
    writeFileSync(releaseFile, '');
    const slow = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.buildid === running.buildid && b.complete), 'the slow build to finish');
    assert.equal(slow.results, 0);

    // SIGHUP reconfigures too (as `mastro reconfig` sends it).
    env.writeConfig(base.replace("builders: [", "builders: [\n    builder({ name: 'third', workerNames: ['w0'], steps: [] }),"));
    master.proc.kill('SIGHUP');
    await waitUntil(async () => (await master.get(['builders'])).some((b) => b.name === 'third' && b.masterids.length > 0), 'SIGHUP to add builder third');
    assert.ok(!(await master.get(['builders'])).find((b) => b.name === 'quick').masterids.length, 'quick was removed from this master');
  } finally {
    await env.cleanup();
  }
});
