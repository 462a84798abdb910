/**
 * Schedulers on the real data layer (SQLite in memory): change events as the data layer publishes
 * them, buildsets stored, and pending tree-stable changes surviving a restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, type AnyBranchScheduler, type ForceScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import { schedulersOnDataLayer } from './support/schedulers-data-layer.js';

const setup = schedulersOnDataLayer;

const change = (branch: string, revision: string) => ({ author: 'a <a@x>', files: ['f.c'], comments: 'c', revision, branch, repository: 'file:///r.git' });

test('a change added through the data layer becomes a buildset on the change sourcestamp', async () => {
  const s = await setup();
  const sched = createScheduler(schedulers.anyBranch({ name: 'all', builderNames: ['test'] }), s.services) as AnyBranchScheduler;
  await sched.start();
  const changeid = await s.data.updates.addChange(change('main', 'abc'));
  await s.waitFor(1);
  await sched.idle();
  const ss = await s.data.getSourceStampsForBuildset(s.bsids[0]!);
  assert.deepEqual(ss.map((x) => [x.branch, x.revision, x.repository]), [['main', 'abc', 'file:///r.git']]);
  const row = await s.data.getChange(changeid);
  assert.equal(row!.sourcestampid, ss[0]!.ssid);
  const bs = await s.data.getBuildset(s.bsids[0]!);
  assert.deepEqual(bs!.properties.scheduler, ['all', 'Scheduler']);
  await sched.stop();
});

test('changes waiting for a stable tree survive a scheduler restart', async () => {
  const s = await setup();
  const first = createScheduler(schedulers.anyBranch({ name: 'stable', builderNames: ['t'], treeStableTimer: 3600 }), s.services) as AnyBranchScheduler;
  await first.start();
  await s.data.updates.addChange(change('main', 'r1'));
  await s.data.updates.addChange(change('main', 'r2'));
  await first.idle();
  await first.stop();
  assert.equal(s.bsids.length, 0);
  // The restarted scheduler (a shorter timer after a reconfig) still knows both changes.
  const second = createScheduler(schedulers.anyBranch({ name: 'stable', builderNames: ['t'], treeStableTimer: 0.02 }), s.services) as AnyBranchScheduler;
  await second.start();
  await s.waitFor(1);
  await second.idle();
  const ss = await s.data.getSourceStampsForBuildset(s.bsids[0]!);
  assert.deepEqual(ss.map((x) => x.revision), ['r2']);
  assert.deepEqual(await s.data.getChangeClassifications((await s.data.updates.findSchedulerId('stable'))), {});
  await second.stop();
});

test('a forced buildset is stored with its requests for the chosen builders', async () => {
  const s = await setup();
  const f = createScheduler(schedulers.force({ name: 'force', builderNames: ['a', 'b'] }), s.services) as ForceScheduler;
  await f.start();
  const { bsid, brids } = await f.force({ owner: 'me', builderNames: ['b'], params: { branch: 'dev' } });
  const reqs = await s.data.getBuildRequestsForBuildset(bsid);
  assert.deepEqual(reqs.map((r) => r.id), Object.values(brids));
  assert.equal(reqs[0]!.builderid, await s.data.updates.findBuilderId('b'));
  const ss = await s.data.getSourceStampsForBuildset(bsid);
  assert.equal(ss[0]!.branch, 'dev');
  await f.stop();
});
