/**
 * Overlap policies (schedulers/overlap.ts with process/concurrency.ts) on the real data layer: a
 * newer buildset of a concurrency group supersedes older ones.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, type AnyBranchScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import { ConcurrencyGroups } from '../src/process/concurrency.js';
import { schedulersOnDataLayer, change } from './support/schedulers-data-layer.js';

test('with overlap collapse, a newer buildset of the same branch cancels the pending requests of the older one; other branches stay', async () => {
  const s = await schedulersOnDataLayer();
  const groups = new ConcurrencyGroups({ mq: s.mq, updates: s.data.updates, reads: s.data, runningBuildsFor: () => [] });
  const sched = createScheduler(schedulers.anyBranch({ name: 'ci', builderNames: ['t'], overlap: 'collapse' }), s.services) as AnyBranchScheduler;
  await sched.start();
  await s.data.updates.addChange(change({ revision: 'm1' }));
  await s.data.updates.addChange(change({ branch: 'dev', revision: 'd1' }));
  await s.data.updates.addChange(change({ revision: 'm2' }));
  await s.waitFor(3); await sched.idle(); await groups.idle();
  const state = async (i: number) => (await s.data.getBuildRequestsForBuildset(s.buildsets[i]!.bsid)).map((r) => [r.complete, r.results]);
  assert.deepEqual(await state(0), [[true, 6]], 'main m1 cancelled');
  assert.deepEqual(await state(1), [[false, null]], 'dev untouched');
  assert.deepEqual(await state(2), [[false, null]], 'main m2 pending');
  groups.close();
  await sched.stop();
});
