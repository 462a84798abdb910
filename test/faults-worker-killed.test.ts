/**
 * A worker killed (SIGKILL) in the middle of a build: the build ends RETRY, its request is
 * unclaimed and runs again when the worker comes back, and nothing is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, gatedConfig, waitUntil } from './support/master-harness.js';

test('a worker killed mid-build: the build ends RETRY and its request runs again', async () => {
  const env = new TestEnv();
  try {
    const markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    const releaseFile = join(env.root, 'release');
    env.writeConfig(gatedConfig({ dbUrl: 'sqlite:state.sqlite', workerPort: 0, markDir, releaseFile }));
    const master = await env.startMaster();
    const worker = env.startWorker('w0', master.ready.workerPort);
    const { brids } = await master.submit(['slow']);
    const brid = Object.values(brids)[0];
    await waitUntil(() => existsSync(join(markDir, 'started-1')), 'build 1 to be running');

    const gone = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await gone;
    const first = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 1 && b.complete), 'build 1 to end');
    assert.equal(first.results, 5, 'RETRY');
    const [pending] = await master.get(['buildrequests', brid]);
    assert.equal(pending.complete, false, 'the request waits to run again');
    assert.equal(pending.claimed, false);

    writeFileSync(releaseFile, '');
    env.startWorker('w0', master.ready.workerPort);
    const second = await waitUntil(async () => (await master.get(['builds'])).find((b) => b.number === 2 && b.complete), 'build 2 to finish', 60_000);
    assert.equal(second.results, 0);
    assert.equal(second.buildrequestid, brid);
    const [done] = await master.get(['buildrequests', brid]);
    assert.equal(done.complete, true);
    assert.equal(done.results, 0);
  } finally {
    await env.cleanup();
  }
});
