/**
 * What schedulers write into buildsets reads as Buildbot 3.7 writes it: who forced a build (the
 * force form's username unless someone is logged in), empty branch and revision kept as '', and
 * reasons naming Buildbot's scheduler classes. test/api-compat-buildbot.test.ts compares the same
 * against a real Buildbot master; these pin the rules it does not reach.
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { FakeData } from './support/schedulers-fake-data.js';
import { createScheduler, type AnyScheduler, type ForceScheduler, type TriggerableScheduler } from '../src/schedulers/create.js';
import { schedulers } from '../src/schedulers/specs.js';
import { formatReason } from '../src/schedulers/reason.js';
import { steps } from '../src/steps/index.js';
import { FakeRuntime } from './support/steps-fake-runtime.js';
import type { TriggerRequest } from '../src/process/step-types.js';

const running = new Set<AnyScheduler>();
afterEach(async () => { for (const s of running) await s.stop(); running.clear(); });
async function started<T extends AnyScheduler>(s: T): Promise<T> { await s.start(); running.add(s); return s; }

async function forceScheduler(d: FakeData): Promise<ForceScheduler> {
  return started(createScheduler(schedulers.force({ name: 'force', builderNames: ['a'] }), d.services) as ForceScheduler);
}

test('an anonymous force takes its owner from the username field, in the reason and the owner property', async () => {
  const d = new FakeData();
  const s = await forceScheduler(d);
  await s.force({ owner: 'anonymous', params: { reason: 'first', username: 'Tester <tester@example.com>' } });
  await s.force({ params: { reason: 'no login at all', username: 'Bob <bob@example.com>' } });
  const [a, b] = d.buildsets;
  assert.equal(a!.reason, "A build was forced by 'Tester <tester@example.com>': first");
  assert.deepEqual(a!.properties!.owner, ['Tester <tester@example.com>', 'Force Build Form']);
  assert.equal(b!.reason, "A build was forced by 'Bob <bob@example.com>': no login at all");
});

test('an anonymous force with an empty username field has an empty owner, as in Buildbot', async () => {
  const d = new FakeData();
  const s = await forceScheduler(d);
  await s.force({ owner: 'anonymous', params: { reason: 'must fail' } });
  assert.equal(d.buildsets[0]!.reason, "A build was forced by '': must fail");
  assert.deepEqual(d.buildsets[0]!.properties!.owner, ['', 'Force Build Form']);
});

test('a logged-in user is the owner whatever the username field says (no forcing in someone else\'s name)', async () => {
  const d = new FakeData();
  const s = await forceScheduler(d);
  await s.force({ owner: 'dev@example.com', params: { reason: 'mine', username: 'Mallory <mallory@example.com>' } });
  assert.equal(d.buildsets[0]!.reason, "A build was forced by 'dev@example.com': mine");
  assert.deepEqual(d.buildsets[0]!.properties!.owner, ['dev@example.com', 'Force Build Form']);
});

test('a force without branch or revision keeps them as empty strings in its sourcestamp', async () => {
  const d = new FakeData();
  const s = await forceScheduler(d);
  await s.force({ params: { reason: 'x', branch: '', revision: null } });
  assert.deepEqual(d.buildsets[0]!.sourcestamps, [{ codebase: '', branch: '', revision: '', repository: '', project: '' }]);
});

test('change schedulers name their Buildbot class in the default reason', async () => {
  const d = new FakeData();
  await started(createScheduler(schedulers.anyBranch({ name: 'all', builderNames: ['t'], treeStableTimer: null }), d.services));
  await started(createScheduler(schedulers.singleBranch({ name: 'main', builderNames: ['t'], branch: 'main', treeStableTimer: null }), d.services));
  d.change({ branch: 'main' });
  await d.waitForBuildsets(2);
  assert.deepEqual(d.buildsets.map((b) => b.reason).sort(), [
    "The AnyBranchScheduler scheduler named 'all' triggered this build",
    "The SingleBranchScheduler scheduler named 'main' triggered this build",
  ]);
});

test("a configured reason gets Buildbot's %(name)s and %(classname)s filled; other text stays", async () => {
  const d = new FakeData();
  await started(createScheduler(schedulers.anyBranch({ name: 'all', builderNames: ['t'], treeStableTimer: null, reason: '%(classname)s %(name)s: 100%% sure, 5% off' }), d.services));
  d.change({ branch: 'main' });
  await d.waitForBuildsets(1);
  assert.equal(d.buildsets[0]!.reason, 'AnyBranchScheduler all: 100% sure, 5% off');
  assert.equal(formatReason('plain %s text', 'n', 'C'), 'plain %s text');
});

test('periodic and triggerable reasons name Periodic and Triggerable', async () => {
  const d = new FakeData();
  const p = await started(createScheduler(schedulers.periodic({ name: 'p', builderNames: ['t'], periodicBuildTimer: 3600 }), d.services));
  await d.waitForBuildsets(1);
  await p.stop();
  const t = await started(createScheduler(schedulers.triggerable({ name: 'tr', builderNames: ['t'] }), d.services) as TriggerableScheduler);
  await t.trigger({ waitedFor: false, sourcestamps: [], properties: {}, parentBuildid: 1 });
  assert.equal(d.buildsets[0]!.reason, "The Periodic scheduler named 'p' triggered this build");
  assert.equal(d.buildsets[1]!.reason, "The Triggerable scheduler named 'tr' triggered this build");
});

test("the trigger step leaves the reason to the scheduler unless a 'reason' property is passed on", async () => {
  const seen: TriggerRequest[] = [];
  const trigger = async (r: TriggerRequest) => { seen.push(r); return { bsid: 1, brids: {}, finished: Promise.resolve({ results: 0 as const }) }; };
  await steps.trigger({ schedulerNames: ['tr'] }).create().run(new FakeRuntime({ trigger }));
  await steps.trigger({ schedulerNames: ['tr'], set_properties: { reason: 'nightly smoke' } }).create().run(new FakeRuntime({ trigger }));
  assert.equal(seen[0]!.reason, undefined);
  assert.equal(seen[1]!.reason, 'nightly smoke');
});
