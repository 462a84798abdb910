/**
 * A graceful stop with builds running: the master waits up to the grace period, then stops them
 * as RETRY (never CANCELLED), unclaims their requests, and they run again after the restart.
 * A build that finishes within the grace period completes normally.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestEnv, freePort, gatedConfig, waitUntil } from './support/master-harness.js';

test('graceful stop past the grace period ends running builds RETRY and they run again after restart', async () => {
  const env = new TestEnv();
  try {
    const markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    const releaseFile = join(env.root, 'release');
    const port = await freePort();
    env.writeConfig(gatedConfig({ dbUrl: 'sqlite:state.sqlite', workerPort: port, markDir, releaseFile, workers: ['w0', 'w1'], stopGracePeriod: 0.3 }));
    let master = await env.startMaster();
    env.startWorker('w0', port);
    env.startWorker('w1', port);
    const a = await master.submit(['slow']);
    const b = await master.submit(['slow']);
    const brids = [...Object.values(a.brids), ...Object.values(b.brids)];
    await waitUntil(() => existsSync(join(markDir, 'started-1')) && existsSync(join(markDir, 'started-2')), 'two builds running');

    master.proc.kill('SIGTERM');
    const exit = await master.exited;
    assert.equal(exit.code, 0, master.output.slice(-2000));

    writeFileSync(releaseFile, '');
    master = await env.startMaster();
    // A build is marked finished just before its request is completed: wait for both.
    const builds = await waitUntil(async () => {
      const all = await master.get(['builds']);
      if (all.filter((x) => x.complete && x.results === 0).length !== 2) return null;
      for (const brid of brids) if (!(await master.get(['buildrequests', brid]))[0]?.complete) return null;
      return all;
    }, 'both requests to build again', 60_000);
    const interrupted = builds.filter((x) => x.number <= 2);
    assert.deepEqual(interrupted.map((x) => x.results), [5, 5], 'stopped builds end RETRY, not CANCELLED');
    assert.ok(builds.every((x) => x.complete));
    for (const brid of brids) {
      const [r] = await master.get(['buildrequests', brid]);
      assert.equal(r.results, 0);
    }
  } finally {
    await env.cleanup();
  }
});

test('graceful stop lets a build that finishes within the grace period complete normally', async () => {
  const env = new TestEnv();
  try {
    const markDir = join(env.root, 'marks');
    mkdirSync(markDir);
    const releaseFile = join(env.root, 'release');
    env.writeConfig(gatedConfig({ dbUrl: 'sqlite:state.sqlite', workerPort: 0, markDir, releaseFile, stopGracePeriod: 60 }));
    const master = await env.startMaster();
    env.startWorker('w0', master.ready.workerPort);
    const { brids } = await master.submit(['slow']);
    await waitUntil(() => existsSync(join(markDir, 'started-1')), 'the build to run');
    const stopped = master.call('stop', {});
    // The stop waits for the build; let it finish.
    writeFileSync(releaseFile, '');
    await stopped.catch(() => {});
    await master.exited;
    const master2 = await env.startMaster();
    const [r] = await master2.get(['buildrequests', Object.values(brids)[0]]);
    assert.equal(r.complete, true);
    assert.equal(r.results, 0);
    const builds = await master2.get(['builds']);
    assert.deepEqual(builds.map((x) => x.results), [0]);
  } finally {
    await env.cleanup();
  }
});
