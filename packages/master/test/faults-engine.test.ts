/**
 * Fault tolerance of the engine (botmaster, builds) against workers that go away in awkward
 * orders, with a real data layer on SQLite and scripted fake workers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Results } from '../src/process/results.js';
import { FakeWorker, builderConfig, buildsOf, cmdStep, makeEngine, submit, waitFor, workerConfig } from './process-harness.js';

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
