/**
 * The dependent scheduler (schedulers/dependent.ts) on the real data layer: it follows its upstream
 * scheduler's buildsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, type DependentScheduler, type AnyBranchScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import { schedulersOnDataLayer, change } from './support/schedulers-data-layer.js';

test('a dependent scheduler builds the same sourcestamps after its upstream buildset succeeds, and nothing after a failure', async () => {
  const s = await schedulersOnDataLayer();
  const up = createScheduler(schedulers.anyBranch({ name: 'up', builderNames: ['compile'] }), s.services) as AnyBranchScheduler;
  const dep = createScheduler(schedulers.dependent({ name: 'dep', upstream: 'up', builderNames: ['package'] }), s.services) as DependentScheduler;
  await up.start(); await dep.start();
  await s.data.updates.addChange(change({ revision: 'aaa' }));
  await s.waitFor(1);
  await up.idle();
  const upstream = s.buildsets[0]!;
  assert.equal(upstream.scheduler, 'up');
  await s.finish(upstream.bsid, 0);
  await s.waitFor(2);
  await dep.idle();
  const downstream = s.buildsets[1]!;
  assert.equal(downstream.scheduler, 'dep');
  assert.equal((await s.data.getBuildset(downstream.bsid))!.reason, 'downstream', "Buildbot's Dependent reason");
  assert.deepEqual((await s.data.getBuildset(downstream.bsid))!.sourcestampids, (await s.data.getBuildset(upstream.bsid))!.sourcestampids);

  await s.data.updates.addChange(change({ revision: 'bbb' }));
  await s.waitFor(3);
  await up.idle();
  await s.finish(s.buildsets[2]!.bsid, 2);
  await dep.idle();
  assert.equal(s.buildsets.length, 3, 'a failed upstream buildset starts nothing downstream');
  await up.stop(); await dep.stop();
});
