/**
 * Fault tolerance of the engine (botmaster, builds) against workers that go away in awkward
 * orders, with a real data layer on SQLite and scripted fake workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Results } from '../src/model/results.js';
import { FakeWorker, builderConfig, buildsOf, cmdStep, makeEngine, submit, waitFor, workerConfig } from './support/process-harness.js';

test('a worker that reconnects while its old connection is still winding down a build gets new builds (maxBuilds 1)', async () => {
  const e = await makeEngine();
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  // The old connection's build hangs until the connection is declared lost.
  const old = new FakeWorker('w0', async ({ interrupted }) => { started(); await interrupted; return { rc: -1 }; });
  const fresh = new FakeWorker('w0');
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')] })], [workerConfig('w0', { maxBuilds: 1 })]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(old);
    const { b: brid } = await submit(e, ['b']);
    await running;
    // Duplicate arbitration replaces a half-open connection: the manager reports the old one
    // detached, admits the new one, and only then does the old socket finish closing.
    await e.botmaster.workerDetached(old);
    await e.botmaster.workerAttached(fresh);
    old.disconnect();
    await waitFor(async () => (await buildsOf(e, 'b')).filter((b) => b.complete).length === 2, 'the retried build to run on the new connection');
    const builds = (await buildsOf(e, 'b')).sort((a, b) => a.number - b.number);
    assert.deepEqual(builds.map((b) => [b.results, b.buildrequestid]), [[Results.RETRY, brid], [Results.SUCCESS, brid]]);

    // And the worker is free again afterwards: one more request runs too.
    await submit(e, ['b']);
    await waitFor(async () => (await buildsOf(e, 'b')).filter((b) => b.complete).length === 3, 'a further build on the reconnected worker');
  } finally { await e.close(); }
});

test('a build whose command ends while the database is unreachable records its own result once the database is back', async () => {
  const e = await makeEngine();
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let started!: () => void;
  const running = new Promise<void>((r) => { started = r; });
  const w = new FakeWorker('w0', async () => { started(); await gate; return { rc: 0 }; });
  // The data layer as the engine sees it fails every write during the "outage".
  const real = e.services.data.updates;
  const failed: string[] = [];
  let outage = false;
  e.services.data.updates = new Proxy(real, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        if (outage) { failed.push(String(prop)); return Promise.reject(new Error('Connection terminated unexpectedly')); }
        return v.apply(target, args);
      };
    },
  });
  try {
    await e.botmaster.configure([builderConfig({ name: 'b', workerNames: ['w0'], steps: [cmdStep('s')] })], [workerConfig('w0')]);
    await e.botmaster.start();
    await e.botmaster.workerAttached(w);
    const { b: brid } = await submit(e, ['b']);
    await running;
    outage = true;
    release();
    // The step's end is written first: it is retried until the database is back.
    await waitFor(() => failed.filter((m) => m === 'finishLog' || m === 'finishStep').length >= 2, 'the build to retry writing its step\'s end during the outage');
    outage = false;
    await waitFor(async () => (await buildsOf(e, 'b')).some((b) => b.complete), 'the build result to be recorded after the outage');
    const [build] = await buildsOf(e, 'b');
    // The command exited 0: the outage changes nothing about the build's result.
    assert.equal(build.results, Results.SUCCESS);
    const steps = ((await e.data.get(['builds', build.buildid, 'steps'])) as any).items;
    assert.deepEqual(steps.map((s: any) => [s.complete, s.results]), [[true, Results.SUCCESS], [true, Results.SUCCESS]]);
    await waitFor(async () => ((await e.data.get(['buildrequests', brid])) as any).item.complete, 'the request to be settled after the outage');
    const req = ((await e.data.get(['buildrequests', brid])) as any).item;
    assert.equal(req.results, Results.SUCCESS);
    await waitFor(() => e.botmaster.runningBuilds().length === 0, 'the worker slot to be free');
  } finally { outage = false; await e.close(); }
});
