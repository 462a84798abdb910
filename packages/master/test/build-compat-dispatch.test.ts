/**
 * The request distributor around connections that just went away and masters that are stopping:
 * no build starts on a worker whose connection is gone (it would end RETRY at once, a stray build),
 * and a claim that completes after shutdown began is given back instead of started.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Results } from '../src/model/results.js';
import { FakeWorker, builderConfig, buildsOf, cmdStep, makeEngine, submit, waitFor, workerConfig } from './support/process-harness.js';

test('no build starts on a worker whose connection is gone before its detach is processed; the request runs on the next worker', async () => {
  const e = await makeEngine();
  const w0 = new FakeWorker('w0');
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0', 'w1'], steps: [cmdStep('s')] })], [workerConfig('w0'), workerConfig('w1')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(w0);
    // The keepalive dropped the connection; the manager's 'detached' has not reached the botmaster yet.
    w0.disconnect();
    const { b: brid } = await submit(e, ['b']);
    await waitFor(async () => (await e.data.getBuildRequest(brid!)) !== undefined, 'the request to exist');
    await e.botmaster.distributor.settled();
    assert.deepEqual(await buildsOf(e, 'b'), [], 'no build on the dead connection');
    assert.equal(w0.commands.length, 0);
    const reason = e.botmaster.distributor.pendingReason(brid!);
    assert.equal(reason?.code, 'no_worker_connected', JSON.stringify(reason));

    await e.botmaster.workerDetached(w0);
    await e.botmaster.workerAttached(new FakeWorker('w1'));
    await waitFor(async () => (await buildsOf(e, 'b')).some((b) => b.complete), 'the build on w1');
    const builds = await buildsOf(e, 'b');
    assert.deepEqual(builds.map((b) => b.results), [Results.SUCCESS], 'one build, no stray RETRY');
  } finally { await e.close(); }
});

test('a claim that completes after the worker disconnected is unclaimed, not started', async () => {
  const e = await makeEngine();
  const w0 = new FakeWorker('w0');
  const realClaim = e.data.updates.claimBuildRequests.bind(e.data.updates);
  let claimStarted!: () => void;
  const claiming = new Promise<void>((r) => { claimStarted = r; });
  let letClaimFinish!: () => void;
  const gate = new Promise<void>((r) => { letClaimFinish = r; });
  let gated = true;
  e.data.updates.claimBuildRequests = async (brids) => {
    if (gated) { gated = false; claimStarted(); await gate; }
    return realClaim(brids);
  };
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')] })], [workerConfig('w0')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(w0);
    const { b: brid } = await submit(e, ['b']);
    await claiming;
    w0.disconnect();
    letClaimFinish();
    await waitFor(async () => (await e.data.getBuildRequest(brid!))?.claimed_by_masterid === null && e.botmaster.distributor.pendingReason(brid!) !== null, 'the request to be unclaimed and pending again');
    assert.deepEqual(await buildsOf(e, 'b'), []);
    assert.equal(w0.commands.length, 0);
  } finally { letClaimFinish(); await e.close(); }
});

test('a claim that completes after shutdown began is unclaimed, not started, and shutdown waits for it', async () => {
  const e = await makeEngine();
  const realClaim = e.data.updates.claimBuildRequests.bind(e.data.updates);
  let claimStarted!: () => void;
  const claiming = new Promise<void>((r) => { claimStarted = r; });
  let letClaimFinish!: () => void;
  const gate = new Promise<void>((r) => { letClaimFinish = r; });
  e.data.updates.claimBuildRequests = async (brids) => { claimStarted(); await gate; return realClaim(brids); };
  const w0 = new FakeWorker('w0');
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')] })], [workerConfig('w0')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(w0);
    const { b: brid } = await submit(e, ['b']);
    await claiming;
    let shutDown = false;
    const shutdown = e.botmaster.shutdown({ graceMs: 0, reportTimeoutMs: 10_000 }).then(() => { shutDown = true; });
    await new Promise((r) => setImmediate(r));
    assert.equal(shutDown, false, 'shutdown waits for the claim in flight');
    letClaimFinish();
    await shutdown;
    const row = await e.data.getBuildRequest(brid!);
    assert.equal(row?.claimed_by_masterid, null, 'the request is given back for a later start');
    assert.equal(row?.complete, false);
    assert.deepEqual(await buildsOf(e, 'b'), []);
    assert.equal(w0.commands.length, 0);
  } finally { letClaimFinish(); await e.close(); }
});
