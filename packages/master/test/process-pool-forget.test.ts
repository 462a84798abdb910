import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builderConfig, cmdStep, makeEngine, platformWorker, poolConfig, waitFor } from './support/process-harness.js';

const listed = async (e: Awaited<ReturnType<typeof makeEngine>>) => ((await e.data.get(['workers'])).items as any[]).map((w) => w.name);

test('a pool worker gone for its pool\'s forgetAfter leaves the workers list, is still found by id, and is listed again when it returns', async () => {
  const e = await makeEngine();
  try {
    const builders = [builderConfig({ name: 'b', workerTags: ['os=linux'], steps: [cmdStep('s')] })];
    await e.botmaster.configure(builders, [], [poolConfig('brief', { forgetAfter: 0 }), poolConfig('kept', { forgetAfter: null })]);
    await e.botmaster.start();
    const brief = platformWorker('brief/h1', { os: 'linux' });
    const kept = platformWorker('kept/h2', { os: 'linux' });
    await e.botmaster.workerAttached(brief);
    await e.botmaster.workerAttached(kept);
    const id = ((await e.data.get(['workers', 'brief/h1'])).item as any).workerid;
    assert.deepEqual((await listed(e)).sort(), ['brief/h1', 'kept/h2']);
    brief.disconnect();
    kept.disconnect();
    await e.botmaster.workerDetached(brief);
    await e.botmaster.workerDetached(kept);
    await waitFor(async () => !(await listed(e)).includes('brief/h1'), 'brief/h1 to leave the list');
    assert.deepEqual(await listed(e), ['kept/h2'], 'forgetAfter null keeps it');
    assert.equal(((await e.data.get(['workers', id])).item as any).name, 'brief/h1', 'found by id: its builds still name it');
    await e.botmaster.workerAttached(platformWorker('brief/h1', { os: 'linux' }));
    assert.deepEqual((await listed(e)).sort(), ['brief/h1', 'kept/h2'], 'back in the list once connected again');
  } finally { await e.close(); }
});

test('at start, absent pool workers past their forgetAfter are forgotten, and those of a pool no longer configured too', async () => {
  const e = await makeEngine();
  try {
    const { updates } = e.data;
    for (const name of ['old/gone', 'live/away']) {
      const workerid = await updates.findWorkerId(name);
      await updates.workerConnected({ workerid, masterid: e.masterid, workerinfo: {}, platform: { pool: name.split('/')[0]!, tags: [], os: null, arch: null } });
      await updates.workerDisconnected({ workerid, masterid: e.masterid });
    }
    await e.botmaster.configure([], [], [poolConfig('live', { forgetAfter: 3600 })]);
    await e.botmaster.start();
    await waitFor(async () => !(await listed(e)).includes('old/gone'), 'the worker of the removed pool to be forgotten');
    assert.deepEqual(await listed(e), ['live/away'], 'the other has an hour left');
    assert.deepEqual(e.botmaster.forgetter.pending(), ['live/away']);
  } finally { await e.close(); }
});
