/**
 * What every scheduler does through its base (schedulers/base.ts), on the real data layer: the
 * codebases of a buildset, unchanged ones pinned at their known-good revision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScheduler, type AnyBranchScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import { schedulersOnDataLayer, change } from './support/schedulers-data-layer.js';

test('a multi-codebase scheduler pins unchanged codebases at the last successful build revision, else the branch head', async () => {
  const s = await schedulersOnDataLayer();
  const codebases = { lib: { repository: 'file:///lib.git', branch: 'main' }, bindings: { repository: 'file:///bindings.git', branch: 'main' } };
  const sched = createScheduler(schedulers.anyBranch({ name: 'mc', builderNames: ['b'], codebases }), s.services) as AnyBranchScheduler;
  await sched.start();
  const revs = async (i: number) => Object.fromEntries((await s.data.getSourceStampsForBuildset(s.buildsets[i]!.bsid)).map((x) => [x.codebase, x.revision]));
  await s.data.updates.addChange(change({ codebase: 'lib', revision: 'L1', repository: 'file:///lib.git' }));
  await s.waitFor(1); await sched.idle();
  assert.deepEqual(await revs(0), { lib: 'L1', bindings: null }, 'no successful build yet: bindings at branch head');
  // A real build of builder b succeeds on that buildset.
  const builderid = await s.data.updates.findBuilderId('b');
  const [br] = await s.data.getBuildRequestsForBuildset(s.buildsets[0]!.bsid);
  await s.data.updates.claimBuildRequests([br!.id]);
  const workerid = await s.data.updates.findWorkerId('w');
  const { buildid } = await s.data.updates.addBuild({ builderid, buildrequestid: br!.id, workerid, masterid: s.services.masterid!, state_string: 'building' });
  await s.data.updates.finishBuild(buildid, 0);
  await s.data.updates.addChange(change({ codebase: 'lib', revision: 'L2-broken', repository: 'file:///lib.git' }));
  await s.waitFor(2); await sched.idle();
  await s.data.updates.addChange(change({ codebase: 'bindings', revision: 'B1', repository: 'file:///bindings.git' }));
  await s.waitFor(3); await sched.idle();
  assert.deepEqual(await revs(2), { lib: 'L1', bindings: 'B1' }, 'lib at its known-good revision, bindings at the new one');
  await sched.stop();
});
